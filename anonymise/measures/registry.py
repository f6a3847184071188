"""Every DP measure by name: the one vocabulary of queries, policies, planner, console and API.

Adding a measure is a module in this package and a line here. The names must
be the policy language's (:data:`policies.measures.MEASURE_KINDS`, which
policies can know without the engine); :func:`check_vocabulary` says so at
import.
"""

from __future__ import annotations

from collections.abc import Mapping

from anonymise.measures.base import MeasureKind
from anonymise.measures.count import Count
from anonymise.measures.distinct_citizens import DistinctCitizens
from anonymise.measures.histogram import Histogram
from anonymise.measures.mean import Mean
from anonymise.measures.median import Median
from anonymise.measures.quantile import Quantile
from anonymise.measures.quartiles import Quartiles
from anonymise.measures.sum import Sum
from anonymise.query_values import Measure

MEASURES: Mapping[str, MeasureKind] = {
    kind.name: kind
    for kind in (
        Count(),
        DistinctCitizens(),
        Sum(),
        Mean(),
        Histogram(),
        Quantile(),
        Median(),
        Quartiles(),
    )
}


def kind_of(measure: Measure) -> MeasureKind:
    """The kind of a validated measure."""
    return MEASURES[measure.kind]
