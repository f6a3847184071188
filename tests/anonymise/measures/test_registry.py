"""One measure vocabulary: the engine implements exactly the names policies grant."""

from __future__ import annotations

from decimal import Decimal

import pytest
from marshmallow import ValidationError

from anonymise.components import components
from anonymise.measures.registry import MEASURES
from anonymise.query import QuerySchema
from anonymise.sensitivity import ContributionBounds
from policies.catalog import Catalog
from policies.measures import MEASURE_KINDS

EXAMPLES = {
    "count": {},
    "distinct_citizens": {},
    "sum": {"field": "duration_min"},
    "mean": {"field": "duration_min"},
    "histogram": {"field": "duration_min", "bins": [0, 30, 120]},
    "quantile": {"field": "duration_min", "quantiles": [0.25, 0.75]},
    "median": {"field": "duration_min"},
    "quartiles": {"field": "duration_min"},
}


def test_the_engine_implements_exactly_the_policy_vocabulary() -> None:
    assert list(MEASURES) == list(MEASURE_KINDS)
    assert {k: v.takes_field for k, v in MEASURES.items()} == dict(MEASURE_KINDS)
    assert all(name == kind.name for name, kind in MEASURES.items())


@pytest.mark.parametrize("name", list(MEASURES))
def test_every_measure_is_asked_for_and_split_by_its_own_kind(name: str, catalog: Catalog) -> None:
    query = QuerySchema(catalog=catalog).load(
        {
            "dataset": "trips",
            "purpose": "transport-planning",
            "measures": [{"kind": name, "name": "m", **EXAMPLES[name]}],
            "group_by": ["mode"],
            "epsilon": "1",
        }
    )
    parts = components(query, catalog.datasets["trips"], ContributionBounds(20))
    assert parts and all(p.measure == "m" for p in parts)
    assert sum(p.share for p in parts) == pytest.approx(1.0)
    assert all(p.sensitivity > 0 for p in parts)
    assert query.epsilon == Decimal(1)


@pytest.mark.parametrize("name", [n for n, k in MEASURES.items() if k.takes_field])
def test_a_measure_of_a_field_refuses_a_query_without_one(name: str, catalog: Catalog) -> None:
    with pytest.raises(ValidationError, match=r"measures\.0\.field"):
        QuerySchema(catalog=catalog).load(
            {
                "dataset": "trips",
                "purpose": "transport-planning",
                "measures": [{"kind": name, "name": "m"}],
                "epsilon": "1",
            }
        )


def test_a_policy_measure_without_an_implementation_fails_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from anonymise.measures import registry

    monkeypatch.setattr(registry, "MEASURE_KINDS", {**MEASURE_KINDS, "mode": True})
    with pytest.raises(registry.RegistryError, match="mode"):
        registry._registry()


def test_an_implementation_policies_do_not_know_fails_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from anonymise.measures import registry

    known = {k: v for k, v in MEASURE_KINDS.items() if k != "median"}
    monkeypatch.setattr(registry, "MEASURE_KINDS", known)
    with pytest.raises(registry.RegistryError, match="median"):
        registry._registry()
