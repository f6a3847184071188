"""The ledger: windows, exact boundaries, and what a failure costs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import BudgetReservation
from civicdata.releases import ledger
from civicdata.releases import service as service_module
from civicdata.releases.budgets import city_budgets, grant_budgets
from civicdata.releases.errors import Denied, ReleaseNotComputed
from civicdata.releases.service import ReleaseService
from policies.budget import Cost
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.conftest import TRANSPORT


def _charge(platform: Platform, epsilon: str, days_ago: float, state: str = "spent") -> None:
    policy = platform.policy_set.get("transport-trips")
    assert policy is not None
    with platform.sessions() as session:
        row = ledger.new_reservation(
            session,
            policy=policy,
            cost=Cost(Decimal(epsilon)),
            requester="client:earlier",
            policy_set_hash=platform.policy_set.content_hash,
            query_hash="0" * 64,
            now=utcnow() - timedelta(days=days_ago),
        )
        row.state = state
        session.commit()


def _states(platform: Platform) -> list[tuple[str, int]]:
    with platform.sessions() as session:
        rows = session.execute(select(BudgetReservation.state, BudgetReservation.epsilon_units))
        return sorted((state, units) for state, units in rows)


def test_a_crash_after_the_reservation_is_charged(city: TinyCity, platform_: Platform) -> None:
    city.populated(2)

    def crashing_engine(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine fell over after drawing noise")

    with pytest.raises(ReleaseNotComputed) as failed:
        ReleaseService(platform_, engine=crashing_engine).request(TRANSPORT, count_query("0.5"))
    assert failed.value.charged
    assert _states(platform_) == [("spent", 500_000)]
    with platform_.sessions() as session:
        [grant] = [g for g in grant_budgets(session, platform_.policy_set, "transport", utcnow())]
    assert grant.balance.remaining.epsilon == Decimal("3.5")


def test_a_failure_before_the_engine_gives_the_budget_back(
    city: TinyCity, platform_: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    city.populated(2)

    def broken_read(*args: object, **kwargs: object) -> None:
        raise OSError("the database went away before any record was read")

    monkeypatch.setattr(service_module, "resolve_citizens", broken_read)
    with pytest.raises(ReleaseNotComputed) as failed:
        ReleaseService(platform_).request(TRANSPORT, count_query("0.5"))
    assert not failed.value.charged
    assert _states(platform_) == [("released", 500_000)]


def test_rolling_windows_count_only_the_last_thirty_days(platform_: Platform) -> None:
    TinyCity(platform_)
    _charge(platform_, "1", days_ago=31)
    _charge(platform_, "0.25", days_ago=29)
    _charge(platform_, "0.5", days_ago=1, state="reserved")  # in flight: counts
    _charge(platform_, "2", days_ago=1, state="released")  # given back: does not
    now = utcnow()
    with platform_.sessions() as session:
        [grant] = grant_budgets(session, platform_.policy_set, "transport", now)
        trips = next(
            c for c in city_budgets(session, platform_.policy_set, now) if c.dataset == "trips"
        )
    assert grant.balance.spent == Cost(Decimal("0.75"))
    assert grant.as_dict()["remaining"] == {"epsilon": "3.25", "delta": "0"}
    assert grant.renews_at is not None
    assert timedelta(days=0) < grant.renews_at - now <= timedelta(days=1, seconds=5)
    assert trips.as_dict()["spent"] == "0.75" and trips.as_dict()["cap"] == "6"


def test_a_budget_is_spent_exactly_to_the_last_micro_epsilon(
    city: TinyCity, platform_: Platform
) -> None:
    city.populated(2)
    _charge(platform_, "3.5", days_ago=2)
    service = ReleaseService(platform_)
    assert service.request(TRANSPORT, count_query("0.5")).charged.epsilon == Decimal("0.5")
    with pytest.raises(Denied) as denied:
        service.request(TRANSPORT, count_query("0.000001", fresh=True))
    assert denied.value.decision.failure is not None
    assert denied.value.decision.failure.code == "grant_budget_exhausted"
    assert sum(units for state, units in _states(platform_) if state != "released") == 4_000_000


def test_the_city_cap_is_shared_by_every_department(city: TinyCity, platform_: Platform) -> None:
    """Statistics' grant on trips still has budget, but the city cap on trips is spent."""
    city.populated(2)
    _charge(platform_, "4.1", days_ago=1)  # under an earlier, larger transport grant
    policy = platform_.policy_set.get("statistics-trips")
    assert policy is not None
    with platform_.sessions() as session:
        ledger.new_reservation(
            session,
            policy=policy,
            cost=Cost(Decimal("1.8")),
            requester="client:stats",
            policy_set_hash=platform_.policy_set.content_hash,
            query_hash="1" * 64,
            now=utcnow(),
        )
        session.commit()
    statistics = service_module.Requester(department="statistics", actor="client:stats")
    query = count_query("0.2", purpose="population-statistics")
    with pytest.raises(Denied) as denied:
        ReleaseService(platform_).request(statistics, query)
    assert denied.value.decision.failure is not None
    assert denied.value.decision.failure.code == "city_cap_exhausted"
