"""Differentially private releases: the budget ledger, the release flow, signing.

- :mod:`civicdata.releases.ledger` — reserve and settle privacy budget, with locks;
- :mod:`civicdata.releases.service` — the release flow a route or page calls;
- :mod:`civicdata.releases.planning` — plans that touch no data;
- :mod:`civicdata.releases.signing` — Ed25519 signatures and how to verify them;
- :mod:`civicdata.releases.store` — stored releases and their contributors;
- :mod:`civicdata.releases.budgets` — balances per grant, dataset and period;
- :mod:`civicdata.releases.privacy_loss` — what each citizen's data was used for;
- :mod:`civicdata.releases.csv_export` — a release as CSV.
"""
