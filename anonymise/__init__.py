"""The differential-privacy engine on OpenDP: queries, bounding, releases, accuracy.

- :mod:`anonymise.query` / :mod:`anonymise.canonical`: the query model, its
  schema checked against the catalog, its normal form and hash;
- :mod:`anonymise.measures`: one object per DP measure (count, sum, mean,
  histogram, quantile...), registered by name in one place;
- :mod:`anonymise.planning`: expected accuracy for an epsilon, or the epsilon for
  an accuracy, without data;
- :mod:`anonymise.release`: a release on a frame of consenting citizens' records,
  within the epsilon the ledger reserved;
- :mod:`anonymise.privacy_loss`: zCDP conversions and exact comparisons (the
  amounts themselves are :mod:`policies.budget`'s).

The privacy unit is the citizen (``citizen_id``); all noise comes from OpenDP.
"""
