"""Two policy sets side by side: added, removed and changed policies, fields in words."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from civicdata.db import make_engine
from policies.budget import Cost
from policies.compare import compare, compare_at, summary
from policies.loader import DEMO_POLICIES, load_policy_set
from policies.model import DatasetCap, PolicySet
from policies.periods import parse_period

T0 = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def demo(catalog, purposes) -> PolicySet:  # type: ignore[no-untyped-def]
    return load_policy_set(DEMO_POLICIES, catalog, purposes)


def revised(demo: PolicySet) -> PolicySet:
    """The demo set, a year on: libraries' grant changed, health's gone, a new grant, a cap."""
    libraries = demo.get("libraries-loans")
    assert libraries is not None
    changed = dataclasses.replace(
        libraries,
        budget=Cost(Decimal("2.5")),
        period=parse_period("calendar-month"),
        measures={**libraries.measures, "median": ("loan_days",)},
        group_by=tuple(g for g in libraries.group_by if g != "month"),
        valid_until=datetime(2027, 1, 1, tzinfo=UTC),
        approvers=(*libraries.approvers, "City Council"),
    )
    new = dataclasses.replace(libraries, id="libraries-loans-pilot", description="A pilot.")
    kept = [p for p in demo.policies if p.id not in ("libraries-loans", "health-clinic-visits")]
    caps = {**demo.city_caps, "trips": DatasetCap(Decimal(4), parse_period("P30D"))}
    return PolicySet(tuple(sorted([*kept, changed, new], key=lambda p: p.id)), caps)


def test_added_removed_and_changed_fields_read_in_words(demo: PolicySet) -> None:
    after = revised(demo)
    comparison = compare(demo, after)
    assert [p.id for p in comparison.added] == ["libraries-loans-pilot"]
    assert [p.id for p in comparison.removed] == ["health-clinic-visits"]
    assert [c.id for c in comparison.changed] == ["libraries-loans"]
    fields = {f.field: f for f in comparison.changed[0].fields}
    assert set(fields) == {"budget", "measures", "group_by", "valid_until", "approvers"}
    assert fields["budget"].label == "Budget"
    assert fields["budget"].before == "ε 3 per rolling 30 days"
    assert fields["budget"].after == "ε 2.5 per calendar month"
    assert fields["measures"].added == ("median of loan_days",) and not fields["measures"].removed
    assert fields["group_by"].removed == ("month",)
    assert fields["valid_until"].before == "open-ended"
    assert fields["valid_until"].after == "2027-01-01 (exclusive)"
    assert fields["approvers"].added == ("City Council",)
    assert len(comparison.unchanged) == len(demo.policies) - 2
    (cap,) = comparison.caps
    assert (cap.dataset, cap.before, cap.after) == (
        "trips",
        "ε 6 per rolling 30 days",
        "ε 4 per rolling 30 days",
    )
    assert not comparison.identical and compare(demo, demo).identical
    backwards = compare(after, demo)
    assert [p.id for p in backwards.added] == ["health-clinic-visits"]
    assert {f.field: f.before for f in backwards.changed[0].fields}["budget"] == (
        "ε 2.5 per calendar month"
    )


def test_an_added_policy_is_summarised_field_by_field(demo: PolicySet) -> None:
    health = demo.get("health-clinic-visits")
    assert health is not None
    shown = dict(summary(health))
    assert shown["Department"] == "health"
    assert shown["Measures allowed"] == "count, distinct citizens"
    assert shown["Budget"] == "ε 0.5 per rolling 30 days"
    assert shown["Valid from"] == "2025-03-01" and shown["Records per citizen, at most"] == "5"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_the_sets_in_force_at_two_moments_are_compared(engine: Engine, demo: PolicySet) -> None:
    from policies.history import record_policy_set

    with engine.begin() as conn:
        record_policy_set(conn, demo, T0)
        record_policy_set(conn, revised(demo), T0 + timedelta(days=10))
    with engine.connect() as conn:
        compared = compare_at(conn, T0 + timedelta(days=1), T0 + timedelta(days=11))
        assert compared.first is not None and compared.second is not None
        assert compared.first.content_hash == demo.content_hash
        assert [c.id for c in compared.comparison.changed] == ["libraries-loans"]
        libraries = compare_at(conn, T0, T0 + timedelta(days=10), department="libraries")
        assert [p.id for p in libraries.comparison.added] == ["libraries-loans-pilot"]
        assert not libraries.comparison.removed  # health's grant is not theirs to see
        before_any = compare_at(conn, T0 - timedelta(days=1), T0)
        assert before_any.first is None
        assert len(before_any.comparison.added) == len(demo.policies)
