"""Consent as a platform service: what the citizen portal, the consent API and the OAuth
consent screen call, on top of the :mod:`consent` domain package.

- :mod:`.issuers` — who signs receipts; publishing the notices citizens are shown.
- :mod:`.changes` — giving and withdrawing consent (audited; withdrawal stops apps' tokens).
- :mod:`.overview` — the dashboard: each purpose in plain words with its state.
- :mod:`.apps` — the apps a citizen authorised, and revoking one.
- :mod:`.export` — everything held on a citizen, decrypted (GDPR Art. 15/20).
- :mod:`.erasure` — erasing a citizen, with a signed erasure receipt.
"""
