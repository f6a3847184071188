"""The query schema: structure, catalog checks naming the field, normal form and hash."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError

from anonymise.canonical import as_dict, canonical_json, normalise, query_hash
from anonymise.query import Filter, Measure, Query, QuerySchema, allowed_keys
from policies.catalog import Catalog


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dataset": "trips",
        "purpose": "transport-planning",
        "measures": [{"kind": "count", "name": "trips"}],
        "epsilon": "0.5",
    }
    data.update(changes)
    return data


def errors(catalog: Catalog, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as info:
        QuerySchema(catalog=catalog).load(data)
    return info.value.messages  # type: ignore[return-value]


def test_a_full_query_loads_into_frozen_dataclasses(catalog: Catalog) -> None:
    query = QuerySchema(catalog=catalog).load(
        body(
            measures=[
                {"kind": "mean", "name": "avg", "field": "duration_min"},
                {"kind": "histogram", "name": "h", "field": "duration_min", "bins": [0, 30, 120]},
                {
                    "kind": "quantile",
                    "name": "q",
                    "field": "duration_min",
                    "quantiles": [0.25, 0.75],
                },
            ],
            group_by=["district", "mode"],
            filters=[
                {"field": "month", "between": ["2025-01", "2025-03"]},
                {"field": "mode", "in": ["bus", "tram"]},
            ],
        )
    )
    assert isinstance(query, Query)
    assert query.measures[1].bins == (0.0, 30.0, 120.0)
    assert query.filters[0] == Filter("month", (), ("2025-01", "2025-03"))
    assert query.filters[1] == Filter("mode", ("bus", "tram"))
    assert query.epsilon == Decimal("0.5")


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"dataset": "nope"}, "dataset", "unknown dataset"),
        ({"group_by": ["colour"]}, "group_by.0", "unknown field 'colour'"),
        ({"group_by": ["district", "district"]}, "group_by.1", "listed twice"),
        (
            {"measures": [{"kind": "sum", "name": "s", "field": "mode"}]},
            "measures.0.field",
            "not numeric",
        ),
        ({"measures": [{"kind": "sum", "name": "s"}]}, "measures.0.field", "needs a numeric field"),
        (
            {"measures": [{"kind": "count", "name": "a"}, {"kind": "count", "name": "a"}]},
            "measures.1.name",
            "duplicate",
        ),
        (
            {
                "measures": [
                    {"kind": "histogram", "name": "h", "field": "duration_min", "bins": [0, 500]}
                ]
            },
            "measures.0.bins",
            "within the field's bounds",
        ),
        (
            {
                "measures": [
                    {"kind": "histogram", "name": "h", "field": "duration_min", "bins": [10, 5]}
                ]
            },
            "measures.0.bins",
            "increase",
        ),
        (
            {
                "measures": [
                    {"kind": "quantile", "name": "q", "field": "duration_min", "quantiles": [0.1]}
                ]
            },
            "measures.0.quantiles",
            "multiple of 1/64",
        ),
        ({"filters": [{"field": "mode", "in": ["rocket"]}]}, "filters.0.in", "'rocket'"),
        ({"filters": [{"field": "duration_min", "in": [1]}]}, "filters.0.field", "not public"),
        (
            {"filters": [{"field": "month", "between": ["2025-05", "2025-01"]}]},
            "filters.0.between",
            "after",
        ),
        (
            {"filters": [{"field": "month", "between": ["2030-01", "2030-02"]}]},
            "filters.0.between",
            "public domain",
        ),
        ({"epsilon": "0.0000001"}, "epsilon", "multiple of 0.000001"),
        ({"mechanism": "gaussian"}, "delta", "needs a delta"),
        ({"delta": "1e-6"}, "delta", "only the gaussian"),
    ],
)
def test_each_mistake_is_reported_against_its_field(
    catalog: Catalog, changes: dict[str, Any], field: str, fragment: str
) -> None:
    messages = errors(catalog, body(**changes))
    assert field in messages, messages
    assert any(fragment in m for m in messages[field]), messages[field]


def test_epsilon_or_targets_but_not_both_nor_neither(catalog: Catalog) -> None:
    target = [{"kind": "count", "name": "trips", "target_half_width": 50}]
    assert "epsilon" in errors(catalog, body(measures=target))
    assert "epsilon" in errors(catalog, body(epsilon=None))
    query = QuerySchema(catalog=catalog).load(body(measures=target, epsilon=None))
    assert query.epsilon is None and query.measures[0].target_half_width == 50


def test_without_a_catalog_only_structure_is_checked() -> None:
    query = QuerySchema().load(body(dataset="anything", group_by=["whatever"]))
    assert query.dataset == "anything"


def test_filters_restrict_the_released_keys(catalog: Catalog) -> None:
    month = catalog.datasets["trips"].fields["month"]
    keys = allowed_keys(month, (Filter("month", (), ("2025-02", "2025-04")),))
    assert keys == ("2025-02", "2025-03", "2025-04")
    assert len(allowed_keys(month, ())) == 24


def test_same_meaning_same_hash(catalog: Catalog) -> None:
    schema = QuerySchema(catalog=catalog)
    a = schema.load(
        body(
            measures=[
                {"kind": "median", "name": "m", "field": "duration_min"},
                {"kind": "count", "name": "c"},
            ],
            group_by=["mode", "district"],
            filters=[{"field": "mode", "in": ["tram", "bus", "bus"]}],
            epsilon="0.50",
        )
    )
    b = schema.load(
        body(
            measures=[
                {"kind": "count", "name": "c"},
                {"kind": "quantile", "name": "m", "field": "duration_min", "quantiles": [0.5]},
            ],
            group_by=["district", "mode"],
            filters=[{"field": "mode", "in": ["bus", "tram"]}],
        )
    )
    assert canonical_json(a) == canonical_json(b)
    assert query_hash(a) == query_hash(b)


@pytest.mark.parametrize(
    "changes",
    [
        {"epsilon": "0.6"},
        {"group_by": ["mode"]},
        {"filters": [{"field": "mode", "in": ["bus"]}]},
        {"measures": [{"kind": "count", "name": "other"}]},
        {"purpose": "another-purpose"},
    ],
)
def test_different_meaning_different_hash(catalog: Catalog, changes: dict[str, Any]) -> None:
    schema = QuerySchema(catalog=catalog)
    assert query_hash(schema.load(body())) != query_hash(schema.load(body(**changes)))


def test_normal_form_loads_back_to_itself(catalog: Catalog) -> None:
    query = Query(
        "trips",
        "transport-planning",
        (Measure("median", "m", "duration_min"), Measure("count", "c", weight=2)),
        ("mode",),
        (Filter("month", (), ("2025-01", "2025-02")),),
        Decimal("1.50"),
    )
    reloaded = QuerySchema(catalog=catalog).load(as_dict(query))
    assert reloaded == normalise(query)
