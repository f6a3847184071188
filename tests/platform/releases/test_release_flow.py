"""The release flow end to end through the service: consent, bounds, store, signatures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidSignature
from sqlalchemy import func, select

from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import AuditEvent, BudgetReservation, StoredRelease
from civicdata.releases import signing
from civicdata.releases.errors import Denied, InvalidQuery
from civicdata.releases.privacy_loss import privacy_loss
from civicdata.releases.service import ReleaseService
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.conftest import TRANSPORT


def _harbour(outcome) -> float:  # type: ignore[no-untyped-def]
    cells = outcome.release.document["cells"]
    return next(c["value"] for c in cells if c["group"]["district"] == "Harbour")


def _spent(platform: Platform) -> tuple[int, list[str]]:
    with platform.sessions() as session:
        rows = session.execute(select(BudgetReservation.epsilon_units, BudgetReservation.state))
        rows = rows.all()
    counted = sum(units for units, state in rows if state != "released")
    return counted, sorted(state for _, state in rows)


def test_a_withdrawn_citizen_stops_contributing(generous: Platform) -> None:
    city = TinyCity(generous)
    service = ReleaseService(generous)
    ids = city.populated(3)
    before = service.request(TRANSPORT, count_query("10"))
    city.withdraw(ids[:1])
    after = service.request(TRANSPORT, count_query("10", fresh=True))

    # Scale 0.1 (one record per citizen, epsilon 10): the noise is 0 but with ~1e-4 odds.
    assert abs(_harbour(before) - 3) <= 1
    assert abs(_harbour(after) - 2) <= 1
    assert _harbour(before) - _harbour(after) >= 1
    with generous.sessions() as session:
        used = privacy_loss(session, generous.policy_set, ids[0], utcnow())
        kept = privacy_loss(session, generous.policy_set, ids[1], utcnow())
    assert [r.release_id for r in used.releases] == [before.release.id]
    assert [r.release_id for r in kept.releases] == [after.release.id, before.release.id]
    trips = next(d for d in kept.datasets if d.dataset == "trips")
    assert trips.in_window == Decimal(20) and trips.cap == Decimal(300)


def test_one_citizen_with_ten_thousand_records_moves_a_count_by_the_bound(
    generous: Platform,
) -> None:
    city = TinyCity(generous)
    service = ReleaseService(generous)
    city.populated(4)
    without = service.request(TRANSPORT, count_query("10"))
    heavy = city.citizens(1)
    city.trips(heavy, each=10_000)
    city.consent(heavy)
    with_heavy = service.request(TRANSPORT, count_query("10", fresh=True))
    # The policy bounds each citizen to one record: the count moves by 1, not 10,000.
    assert abs(_harbour(with_heavy) - _harbour(without) - 1) <= 2


def test_a_repeated_query_is_served_from_store_at_zero_cost_and_fresh_spends(
    city: TinyCity, service: ReleaseService, platform_: Platform
) -> None:
    city.populated(4)
    first = service.request(TRANSPORT, count_query("0.5"))
    assert not first.served_from_store and first.charged.epsilon == Decimal("0.5")
    reordered = {**count_query("0.5"), "filters": [{"field": "month", "in": ["2025-03"]}]}
    again = service.request(TRANSPORT, reordered)
    assert again.served_from_store and again.charged.epsilon == 0
    assert again.release.document == first.release.document
    assert _spent(platform_) == (500_000, ["spent"])

    fresh = service.request(TRANSPORT, count_query("0.5", fresh=True))
    assert not fresh.served_from_store and fresh.release.id != first.release.id
    assert _spent(platform_) == (1_000_000, ["spent", "spent"])
    with platform_.sessions() as session:
        served = session.scalars(
            select(func.count()).where(AuditEvent.action == "release.served")
        ).one()
    assert served == 1


def test_release_signatures_verify_with_the_public_key(
    city: TinyCity, service: ReleaseService, platform_: Platform
) -> None:
    city.populated(2)
    published = service.request(TRANSPORT, count_query("0.5")).release
    history = platform_.signing.history()
    signing.verify(published.document, published.signature, published.key_id, history)
    assert published.key_id == history.current("releases").kid
    with platform_.sessions() as session:
        stored = session.get(StoredRelease, published.id)
        assert stored is not None and stored.document == signing.canonical_text(published.document)
    forged = {**published.document, "cells": [{**published.document["cells"][0], "value": 999}]}
    with pytest.raises(InvalidSignature):
        signing.verify(forged, published.signature, published.key_id, history)


def test_a_policy_denial_explains_itself_and_reserves_nothing(
    city: TinyCity, service: ReleaseService, platform_: Platform
) -> None:
    city.populated(2)
    with pytest.raises(Denied) as denied:
        service.request(TRANSPORT, count_query("0.5", purpose="library-services"))
    assert denied.value.decision.failure is not None
    assert denied.value.decision.failure.clause == "purpose"
    over = count_query("2")  # the per-query cap is 1.0
    with pytest.raises(Denied) as capped:
        service.request(TRANSPORT, over)
    assert "per-query cap" in capped.value.decision.explanation
    assert _spent(platform_) == (0, [])


def test_invalid_queries_name_the_field_and_change_nothing(
    city: TinyCity, service: ReleaseService, platform_: Platform
) -> None:
    with pytest.raises(InvalidQuery) as bad:
        service.request(TRANSPORT, {**count_query("0.5"), "group_by": ["nope"], "fresh": "yes"})
    assert "group_by.0" in bad.value.errors and "fresh" in bad.value.errors
    with pytest.raises(InvalidQuery) as not_object:
        service.request(TRANSPORT, ["not", "an", "object"])
    assert "body" in not_object.value.errors
    assert _spent(platform_) == (0, [])


def test_a_target_accuracy_is_turned_into_the_epsilon_it_needs(
    city: TinyCity, service: ReleaseService
) -> None:
    city.populated(2)
    query = count_query("1")
    del query["epsilon"]
    query["measures"] = [{"kind": "count", "name": "trips", "target_half_width": 150}]
    outcome = service.request(TRANSPORT, query)
    cell = outcome.release.document["cells"][0]
    assert cell["half_width"] <= 150
    assert Decimal("0") < outcome.charged.epsilon < Decimal("1")


def test_contributions_are_the_consenting_citizens_with_records(
    city: TinyCity, service: ReleaseService, platform_: Platform
) -> None:
    consenting = city.populated(3)
    silent = city.citizens(2)
    city.trips(silent)  # records but no consent
    published = service.request(TRANSPORT, count_query("0.5")).release
    late = city.populated(1)  # consented and got records only after the release
    with platform_.sessions() as session:
        contributors = [
            cid
            for cid in [*consenting, *silent, *late]
            if any(
                used.release_id == published.id
                for used in privacy_loss(session, platform_.policy_set, cid, utcnow()).releases
            )
        ]
    assert sorted(contributors) == sorted(consenting)
