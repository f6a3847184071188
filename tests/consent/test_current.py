"""The ``consent_current`` projection: kept in step with the log, and what eligibility reads."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, event, select

from consent.append_only import PROTECTED, guard_append_only
from consent.bulk import give_many, withdraw_many
from consent.current import rebuild_current
from consent.eligibility import eligible_subjects, is_active
from consent.notices import sync_notices
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.records import give, withdraw
from consent.tables import consent_current, consent_events, from_db
from tests.consent.helpers import T0, reworded

TRANSPORT = "transport-planning"
ENERGY = "energy-efficiency"
TICK = timedelta(microseconds=1)
Key = tuple[str, str]


@pytest.fixture
def synced(engine: Engine, purposes: dict[str, Purpose]) -> Engine:
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0 - timedelta(days=1))
    return engine


def projection(conn: Connection) -> dict[Key, tuple[Any, ...]]:
    """Every ``consent_current`` row, keyed by (subject, purpose)."""
    cc = consent_current
    rows = conn.execute(select(cc))
    return {(r.subject_id, r.purpose_id): _values(r) for r in rows}


def latest_in_log(conn: Connection) -> dict[Key, tuple[Any, ...]]:
    """The latest event of each (subject, purpose), replayed from the log in Python."""
    ce = consent_events
    latest: dict[Key, tuple[Any, ...]] = {}
    for r in conn.execute(select(ce).order_by(ce.c.event_time, ce.c.seq)):
        latest[(r.subject_id, r.purpose_id)] = _values(r)  # the last one wins
    return latest


def _values(row: Any) -> tuple[Any, ...]:
    valid_until = None if row.valid_until is None else from_db(row.valid_until)
    return (row.seq, from_db(row.event_time), row.state, valid_until, row.notice_version)


@pytest.mark.parametrize("seed", [3, 11, 2024])
def test_projection_is_the_latest_event_after_random_changes(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer, seed: int
) -> None:
    rng = random.Random(seed)
    current = {pid: purposes[pid] for pid in (TRANSPORT, ENERGY)}
    subjects = [f"s{i:02d}" for i in range(16)]
    given: dict[Key, bool] = {}
    kwargs: dict[str, Any] = {"language": "en", "method": "api", "issuer": issuer}
    at = T0
    with synced.begin() as conn:
        for step in range(120):
            if rng.random() < 0.7:  # same-instant events exercise the tie-break on seq
                at += timedelta(minutes=rng.randint(1, 600))
            pid = rng.choice(list(current))
            roll = rng.random()
            if roll < 0.05:
                current[pid] = reworded(
                    current[pid], material=rng.random() < 0.5, suffix=f" {step}"
                )
                sync_notices(conn, {pid: current[pid]}, at)
            elif roll < 0.25:
                batch = rng.sample(subjects, rng.randint(1, 6))
                give_many(conn, batch, current[pid], now=at, **kwargs)
                given.update(dict.fromkeys(((s, pid) for s in batch), True))
            elif roll < 0.4:
                holders = [s for s in subjects if given.get((s, pid))]
                batch = rng.sample(holders, min(len(holders), rng.randint(1, 4)))
                withdraw_many(conn, batch, current[pid], now=at, **kwargs)
                given.update(dict.fromkeys(((s, pid) for s in batch), False))
            else:
                subject = rng.choice(subjects)
                if given.get((subject, pid)) and rng.random() < 0.5:
                    withdraw(conn, subject, current[pid], now=at, **kwargs)
                    given[(subject, pid)] = False
                else:
                    give(conn, subject, current[pid], now=at, **kwargs)
                    given[(subject, pid)] = True
            if step % 10 == 0:
                assert projection(conn) == latest_in_log(conn), step
        maintained = projection(conn)
        assert maintained == latest_in_log(conn)
        assert {key: row[2] == "given" for key, row in maintained.items()} == given
        assert rebuild_current(conn) == len(maintained)
        assert projection(conn) == maintained  # the rebuild reproduces it exactly


def test_rebuild_recovers_a_lost_or_stale_projection(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    kwargs: dict[str, Any] = {"language": "en", "method": "portal", "issuer": issuer}
    with synced.begin() as conn:
        give_many(conn, ["a", "b", "c"], purposes[TRANSPORT], now=T0, **kwargs)
        give(conn, "a", purposes[ENERGY], now=T0, **kwargs)
        withdraw(conn, "b", purposes[TRANSPORT], now=T0 + timedelta(hours=1), **kwargs)
        withdraw(conn, "c", purposes[TRANSPORT], now=T0 + timedelta(hours=1), **kwargs)
        give(conn, "c", purposes[TRANSPORT], now=T0 + timedelta(hours=1), **kwargs)  # same instant
        maintained = projection(conn)
        conn.execute(delete(consent_current).where(consent_current.c.subject_id != "a"))
        assert set(
            conn.execute(eligible_subjects(TRANSPORT, T0 + timedelta(hours=2))).scalars()
        ) == {"a"}  # the projection is what eligibility trusts for the present
        assert rebuild_current(conn) == 4
        assert projection(conn) == maintained
        assert set(
            conn.execute(eligible_subjects(TRANSPORT, T0 + timedelta(hours=2))).scalars()
        ) == {"a", "c"}


def test_the_projection_rolls_back_with_its_events(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    kwargs: dict[str, Any] = {"language": "en", "method": "portal", "issuer": issuer}
    with synced.connect() as conn:
        with conn.begin() as tx:
            give(conn, "a", purposes[TRANSPORT], now=T0, **kwargs)
            give_many(conn, ["b", "c"], purposes[TRANSPORT], now=T0, **kwargs)
            assert set(projection(conn)) == {("a", TRANSPORT), ("b", TRANSPORT), ("c", TRANSPORT)}
            tx.rollback()
        assert projection(conn) == {}
        assert latest_in_log(conn) == {}


def test_the_past_is_answered_from_the_log(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    """Subjects whose latest event is after the instant asked about are replayed."""
    transport = purposes[TRANSPORT]
    major = reworded(transport, material=True)
    kwargs: dict[str, Any] = {"language": "en", "method": "portal", "issuer": issuer}
    t1, t2, t3 = (T0 + timedelta(hours=h) for h in (1, 2, 3))
    with synced.begin() as conn:
        give_many(conn, ["gone", "steady", "tied", "renewed"], transport, now=T0, **kwargs)
        withdraw(conn, "gone", transport, now=t2, **kwargs)  # latest: withdrawn, after t1
        withdraw(conn, "tied", transport, now=t1, **kwargs)
        give(conn, "tied", transport, now=t1, **kwargs)  # same instant: the give is latest
        sync_notices(conn, {TRANSPORT: major}, t2)
        give(conn, "late", major, now=t3, **kwargs)  # nothing before t3
        give(conn, "renewed", major, now=t3, **kwargs)  # consents to the new notice
        states = {key[0]: row[2] for key, row in projection(conn).items()}
    assert states == {
        "gone": "withdrawn",
        "steady": "given",
        "tied": "given",
        "late": "given",
        "renewed": "given",
    }

    def asked(at: datetime) -> set[str]:
        with synced.connect() as conn:
            return set(conn.execute(eligible_subjects(TRANSPORT, at)).scalars())

    assert asked(T0 - TICK) == set()
    assert asked(t1 - TICK) == {"gone", "steady", "tied", "renewed"}
    assert asked(t1) == {"gone", "steady", "tied", "renewed"}  # projection says withdrawn
    assert asked(t2 - TICK) == {"gone", "steady", "tied", "renewed"}
    assert asked(t2) == set()  # the material change supersedes every consent to version 1
    assert asked(t3) == {"late", "renewed"}
    with synced.connect() as conn:
        assert is_active(conn, "gone", TRANSPORT, t1) is True
        assert is_active(conn, "gone", TRANSPORT, t2) is False
        assert is_active(conn, "late", TRANSPORT, t1) is False
        assert is_active(conn, "renewed", TRANSPORT, t2 - TICK) is True


@pytest.fixture
def statements(synced: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(synced, "before_cursor_execute", count)
    yield seen
    event.remove(synced, "before_cursor_execute", count)


@pytest.mark.parametrize("hours", [0.5, 2])
def test_one_statement_for_the_present_and_the_past(
    synced: Engine,
    purposes: dict[str, Purpose],
    issuer: ReceiptIssuer,
    statements: list[str],
    hours: float,
) -> None:
    kwargs: dict[str, Any] = {"language": "en", "method": "portal", "issuer": issuer}
    subjects = [f"c{i:03d}" for i in range(50)]
    with synced.begin() as conn:
        give_many(conn, subjects, purposes[TRANSPORT], now=T0, **kwargs)
        withdraw_many(
            conn, subjects[::2], purposes[TRANSPORT], now=T0 + timedelta(hours=1), **kwargs
        )
    statements.clear()
    with synced.connect() as conn:
        found = set(
            conn.execute(eligible_subjects(TRANSPORT, T0 + timedelta(hours=hours))).scalars()
        )
    assert len(statements) == 1
    assert found == (set(subjects) if hours < 1 else set(subjects[1::2]))


def test_the_projection_is_not_append_only(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    assert consent_current.name not in PROTECTED
    assert {consent_events.name} < PROTECTED
    guard_append_only(synced)
    with synced.begin() as conn:  # upserts and rebuilds still work under the guard
        give(conn, "a", purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer)
        withdraw(
            conn,
            "a",
            purposes[TRANSPORT],
            language="en",
            method="portal",
            now=T0 + timedelta(hours=1),
            issuer=issuer,
        )
        assert rebuild_current(conn) == 1
        assert [row[2] for row in projection(conn).values()] == ["withdrawn"]
