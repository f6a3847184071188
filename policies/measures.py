"""The measure vocabulary: the statistics a query can ask for and a policy can grant.

One name per DP measure, the same in queries, policies, the planner, the
console and the API. This table is the registry: adding a measure is its
module in :mod:`anonymise.measures` (which finds the implementation of each
name here and fails at import on a name without exactly one) and a line
here. The policy language knows the names without the engine, since
``anonymise`` builds on ``policies``. The value says whether the measure
reads a numeric field (counts read none).
"""

from __future__ import annotations

from collections.abc import Mapping

MEASURE_KINDS: Mapping[str, bool] = {
    "count": False,
    "distinct_citizens": False,
    "sum": True,
    "mean": True,
    "histogram": True,
    "quantile": True,
    "median": True,
    "quartiles": True,
}
FIELDLESS_MEASURES = tuple(kind for kind, takes_field in MEASURE_KINDS.items() if not takes_field)
