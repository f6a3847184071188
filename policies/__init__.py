"""Declarative access policies: who may ask what, for which purpose, at what privacy cost.

- :mod:`policies.catalog` — the dataset catalog the policies refer to;
- :mod:`policies.schema`, :mod:`policies.loader`, :mod:`policies.checks` — the
  policy language, loading a directory of policy files and checking it;
- :mod:`policies.model` — policies and policy sets, canonical form and hash;
- :mod:`policies.budget`, :mod:`policies.periods` — exact privacy-loss amounts
  and budget periods;
- :mod:`policies.request`, :mod:`policies.evaluate` — deny-by-default decisions
  with explanations;
- :mod:`policies.cases` — policy test cases; :mod:`policies.history` and
  :mod:`policies.tables` — the policy sets in force over time.
"""
