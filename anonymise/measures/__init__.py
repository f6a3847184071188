"""The DP measures, one module each, found by name by :mod:`anonymise.measures.registry`.

:mod:`anonymise.measures.base` says what a measure knows: what it needs from
the query and the catalog, its bounding and sensitivity, its OpenDP
aggregation and noise, its accuracy and its planning.
"""
