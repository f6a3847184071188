"""Epsilon charged per day per grant: from the ledger, each charge checked against the log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from civicdata.audit.spending import daily_spending
from tests.support.spending import charge


def test_charges_are_summed_per_grant_and_utc_day_and_checked_against_the_log(platform_) -> None:
    with platform_.sessions() as session:
        late = datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)
        charge(session, platform_, "transport-trips", late, "0.5")
        charge(
            session, platform_, "transport-trips", late.replace(hour=10), "0.25", state="reserved"
        )
        charge(session, platform_, "transport-trips", datetime(2026, 3, 2, tzinfo=UTC), "1")
        charge(session, platform_, "transport-trips", datetime(2026, 3, 2, 8, tzinfo=UTC), "2", state="released")  # fmt: skip
        charge(session, platform_, "libraries-loans", datetime(2026, 3, 3, 12, tzinfo=UTC), "0.3")
        missing = charge(session, platform_, "libraries-loans", datetime(2026, 3, 3, 13, tzinfo=UTC), "0.2", signed=None)  # fmt: skip
        altered = charge(session, platform_, "libraries-loans", datetime(2026, 3, 5, tzinfo=UTC), "0.1", signed="0.01")  # fmt: skip
        charge(session, platform_, "libraries-loans", datetime(2026, 2, 28, 23, tzinfo=UTC), "9")
        session.commit()

        spent = daily_spending(session, date(2026, 3, 1), date(2026, 3, 5))
    assert spent.day_count == 5
    by_grant = {g.policy_id: g for g in spent.grants}
    assert list(by_grant) == ["libraries-loans", "transport-trips"]
    transport = by_grant["transport-trips"]
    assert [(d.day.isoformat(), d.epsilon, d.charges) for d in transport.days] == [
        ("2026-03-01", Decimal("0.75"), 2),  # reserved counts, as budgets count it
        ("2026-03-02", Decimal("1"), 1),  # released does not
    ]
    assert (transport.department, transport.dataset) == ("transport", "trips")
    assert transport.epsilon == Decimal("1.75") and transport.charges == 3
    libraries = by_grant["libraries-loans"]
    assert [(d.day.isoformat(), str(d.epsilon)) for d in libraries.days] == [
        ("2026-03-03", "0.5"),
        ("2026-03-05", "0.1"),
    ]  # 28 February lies outside the period
    assert set(spent.unverified) == {missing, altered}
    assert [(g.policy_id, d.day.day) for g, d in spent.rows()] == [
        ("transport-trips", 1),
        ("transport-trips", 2),
        ("libraries-loans", 3),
        ("libraries-loans", 5),
    ]
    document = spent.as_dict()
    assert document["from"] == "2026-03-01" and document["grants"][1]["epsilon"] == "1.75"
    assert document["grants"][1]["days"][0] == {
        "day": "2026-03-01",
        "epsilon": "0.75",
        "delta": "0",
        "charges": 2,
    }


def test_an_entry_relabelled_in_its_columns_does_not_vouch_for_a_charge(platform_) -> None:
    """The check reads the signed text: an entry whose resource column was pointed at
    an unlogged reservation does not vouch for it (it still vouches for its own)."""
    from sqlalchemy import update

    from civicdata.models import AuditEvent
    from tests.support.tamper import allow_tampering

    with platform_.sessions() as session:
        at = datetime(2026, 4, 1, 9, tzinfo=UTC)
        signed = charge(session, platform_, "transport-trips", at, "0.5")
        unsigned = charge(session, platform_, "transport-trips", at, "0.5", signed=None)
        session.commit()
    with platform_.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(
            update(AuditEvent).where(AuditEvent.resource == signed).values(resource=unsigned)
        )
    with platform_.sessions() as session:
        spent = daily_spending(session, date(2026, 4, 1), date(2026, 4, 1))
    assert spent.unverified == (unsigned,)
