"""Quartiles: three quantile cells per group, the same query as the quantile at those levels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from marshmallow import ValidationError

from anonymise.canonical import query_hash
from anonymise.planning import plan
from anonymise.query import Measure, Query, QuerySchema
from anonymise.release import release
from policies.catalog import Catalog
from policies.request import parse_request
from tests.anonymise.frames import trips

HUGE = Decimal(10)  # the catalog's cap; 100 citizens make the ranks sharp enough


def test_quartiles_release_three_levels_near_the_true_ones(catalog: Catalog) -> None:
    frame = trips({"citizen_id": f"c{i}", "duration_min": float(i)} for i in range(101))
    query = Query("trips", "p", (Measure("quartiles", "q", "duration_min"),), (), (), HUGE)
    cells = release(query, frame, catalog, HUGE).cells
    assert [c.quantile for c in cells] == [0.25, 0.5, 0.75]
    step = 120 / 100  # the candidate grid of a 0..120 number field
    for cell, true in zip(cells, (25.0, 50.0, 75.0), strict=True):
        assert cell.rank_error is not None and cell.half_width is None
        assert abs(cell.value - true) <= cell.rank_error + step


def test_quartiles_are_the_quantile_query_at_those_levels(catalog: Catalog) -> None:
    named = Query("trips", "p", (Measure("quartiles", "q", "duration_min"),), (), (), HUGE)
    levels = Measure("quantile", "q", "duration_min", quantiles=(0.75, 0.25, 0.5))
    assert query_hash(named) == query_hash(Query("trips", "p", (levels,), (), (), HUGE))
    (planned,) = plan(named, HUGE, catalog).measures
    assert len(planned.components) == 3 and planned.rank_error is not None


@pytest.mark.parametrize(
    ("extra", "where"),
    [({"quantiles": [0.5]}, "quantiles"), ({"target_half_width": 2.0}, "target_half_width")],
)
def test_quartiles_take_no_levels_and_no_target(
    catalog: Catalog, extra: dict[str, object], where: str
) -> None:
    body = {
        "dataset": "trips",
        "purpose": "p",
        "measures": [{"kind": "quartiles", "name": "q", "field": "duration_min", **extra}],
    }
    if "target_half_width" not in extra:
        body["epsilon"] = "1"
    with pytest.raises(ValidationError) as info:
        QuerySchema(catalog=catalog).load(body)
    assert f"measures.0.{where}" in info.value.messages


def test_a_policy_request_names_quartiles() -> None:
    request = parse_request(
        {
            "department": "transport",
            "purpose": "transport-planning",
            "dataset": "trips",
            "measures": [{"kind": "quartiles", "field": "duration_min"}],
            "epsilon": 0.5,
        }
    )
    assert request.measures[0].label == "quartiles of duration_min"
