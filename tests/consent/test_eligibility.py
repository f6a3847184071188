"""Eligibility: whose records may a purpose use at an instant (invariant 5)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, event, insert, select

from consent.current import rebuild_current
from consent.eligibility import eligible_subjects, is_active
from consent.notices import sync_notices
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.records import give, withdraw
from consent.status import states
from consent.tables import consent_events
from tests.consent.helpers import T0, reworded

TRANSPORT = "transport-planning"
ENERGY = "energy-efficiency"
TICK = timedelta(microseconds=1)


@pytest.fixture
def synced(engine: Engine, purposes: dict[str, Purpose]) -> Engine:
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0 - timedelta(days=1))
    return engine


def eligible(engine: Engine, purpose_id: str, at: datetime) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(eligible_subjects(purpose_id, at)).scalars())


def test_withdrawal_stops_counting_at_its_instant(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    withdrawn_at = T0 + timedelta(hours=5)
    with synced.begin() as conn:
        for subject in ("a", "b"):
            give(
                conn,
                subject,
                purposes[TRANSPORT],
                language="en",
                method="portal",
                now=T0,
                issuer=issuer,
            )
        withdraw(
            conn,
            "a",
            purposes[TRANSPORT],
            language="en",
            method="portal",
            now=withdrawn_at,
            issuer=issuer,
        )
    assert eligible(synced, TRANSPORT, T0 - TICK) == set()
    assert eligible(synced, TRANSPORT, T0) == {"a", "b"}
    assert eligible(synced, TRANSPORT, withdrawn_at - TICK) == {"a", "b"}
    assert eligible(synced, TRANSPORT, withdrawn_at) == {"b"}
    assert eligible(synced, ENERGY, withdrawn_at) == set()  # consent is per purpose


def test_expiry_stops_counting_at_valid_until(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    with synced.begin() as conn:
        given = give(
            conn, "a", purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer
        )
    assert given.valid_until is not None
    assert eligible(synced, TRANSPORT, given.valid_until - TICK) == {"a"}
    assert eligible(synced, TRANSPORT, given.valid_until) == set()


def test_material_notice_change_excludes_until_fresh_consent(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    minor = reworded(purposes[TRANSPORT], material=False, suffix=" (typo fixed)")
    major = reworded(purposes[TRANSPORT], material=True, suffix=" (now also shared)")
    with synced.begin() as conn:
        give(conn, "a", purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer)
        give(conn, "b", purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer)
        sync_notices(conn, {TRANSPORT: minor}, T0 + timedelta(days=1))
        sync_notices(conn, {TRANSPORT: major}, T0 + timedelta(days=2))
        give(
            conn,
            "b",
            major,
            language="en",
            method="portal",
            now=T0 + timedelta(days=3),
            issuer=issuer,
        )
    assert eligible(synced, TRANSPORT, T0 + timedelta(days=1)) == {"a", "b"}  # minor: review only
    assert eligible(synced, TRANSPORT, T0 + timedelta(days=2) - TICK) == {"a", "b"}
    assert eligible(synced, TRANSPORT, T0 + timedelta(days=2)) == set()
    assert eligible(synced, TRANSPORT, T0 + timedelta(days=3)) == {"b"}


def test_usable_as_a_subquery_of_a_records_scan(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    scratch = MetaData()
    records = Table("test_scan_records", scratch, Column("citizen_id", String(40)))
    scratch.create_all(synced)
    try:
        with synced.begin() as conn:
            conn.execute(insert(records), [{"citizen_id": c} for c in ("a", "a", "b", "c")])
            for subject in ("a", "c"):
                give(
                    conn,
                    subject,
                    purposes[TRANSPORT],
                    language="en",
                    method="portal",
                    now=T0,
                    issuer=issuer,
                )
            scan = select(records.c.citizen_id).where(
                records.c.citizen_id.in_(eligible_subjects(TRANSPORT, T0))
            )
            assert sorted(conn.execute(scan).scalars()) == ["a", "a", "c"]
    finally:
        scratch.drop_all(synced)


@dataclass(frozen=True)
class Recorded:
    subject: str
    purpose_id: str
    time: datetime
    order: int
    state: str
    version: int
    valid_until: datetime | None


@dataclass(frozen=True)
class Published:
    purpose_id: str
    version: int
    material: bool
    at: datetime


def oracle(
    events: list[Recorded], notices: list[Published], purpose_id: str, at: datetime
) -> set[str]:
    """The eligibility rule, spelled out per subject in plain Python."""
    found = set()
    for subject in {e.subject for e in events}:
        mine = [e for e in events if e.subject == subject and e.purpose_id == purpose_id]
        seen = [e for e in mine if e.time <= at]
        if not seen:
            continue
        last = max(seen, key=lambda e: (e.time, e.order))
        superseded = any(
            n.purpose_id == purpose_id and n.version > last.version and n.material and n.at <= at
            for n in notices
        )
        if last.state == "given" and last.valid_until and at < last.valid_until and not superseded:
            found.add(subject)
    return found


@pytest.mark.parametrize("seed", [7, 2025])
def test_matches_a_brute_force_oracle_on_random_histories(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer, seed: int
) -> None:
    rng = random.Random(seed)
    validity = timedelta(days=10)
    current = {pid: replace(purposes[pid], consent_validity="P10D") for pid in (TRANSPORT, ENERGY)}
    version = dict.fromkeys(current, 1)
    subjects = [f"s{i:02d}" for i in range(30)]
    events: list[Recorded] = []
    notices: list[Published] = []
    times = sorted(T0 + timedelta(hours=rng.randint(0, 24 * 40)) for _ in range(260))
    with synced.begin() as conn:
        for n, at in enumerate(times):
            pid = rng.choice(list(current))
            if rng.random() < 0.04:
                material = rng.random() < 0.5
                current[pid] = reworded(current[pid], material=material, suffix=f" r{n}")
                sync_notices(conn, {pid: current[pid]}, at)
                version[pid] += 1
                notices.append(Published(pid, version[pid], material, at))
                continue
            subject = rng.choice(subjects)
            # Same-instant pairs exercise the tie-break on insertion order.
            for _ in range(2 if rng.random() < 0.1 else 1):
                last = [e for e in events if e.subject == subject and e.purpose_id == pid]
                if last and last[-1].state == "given" and rng.random() < 0.6:
                    withdraw(
                        conn,
                        subject,
                        current[pid],
                        language="en",
                        method="portal",
                        now=at,
                        issuer=issuer,
                    )
                    events.append(
                        Recorded(subject, pid, at, len(events), "withdrawn", last[-1].version, None)
                    )
                else:
                    made = give(
                        conn,
                        subject,
                        current[pid],
                        language="en",
                        method="api",
                        now=at,
                        issuer=issuer,
                    )
                    assert made.notice_version == version[pid]
                    events.append(
                        Recorded(
                            subject, pid, at, len(events), "given", version[pid], at + validity
                        )
                    )
    probes = [T0 - TICK, *rng.sample(times, 40)]
    probes += [t + d for t in rng.sample(times, 20) for d in (-TICK, TICK)]
    probes += [e.valid_until for e in rng.sample(events, 20) if e.valid_until]
    checked = 0
    for at in probes:
        for pid in current:
            expected = oracle(events, notices, pid, at)
            assert eligible(synced, pid, at) == expected, (pid, at)
            checked += len(expected)
    assert checked > 0  # the histories did produce eligible subjects
    with synced.connect() as conn:
        for at in rng.sample(probes, 8):
            for subject in subjects:
                view = states(conn, subject, current, at)
                for pid in current:
                    truth = subject in oracle(events, notices, pid, at)
                    assert view[pid].active is truth, (subject, pid, at)
                    assert is_active(conn, subject, pid, at) is truth


@pytest.fixture
def statements(synced: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(synced, "before_cursor_execute", count)
    yield seen
    event.remove(synced, "before_cursor_execute", count)


@pytest.mark.parametrize("citizens", [10, 1000])
def test_runs_as_one_statement_whatever_the_number_of_citizens(
    synced: Engine, statements: list[str], citizens: int
) -> None:
    rows = []
    for i in range(citizens):
        base = {
            "subject_id": f"s{i:05d}",
            "purpose_id": TRANSPORT,
            "notice_version": 1,
            "language": "en",
            "legal_basis": "dpv:Consent",
            "controller": "transport",
            "collection_method": "portal",
            "receipt": "{}",
            "signature": "unsigned-test-row",
        }
        rows.append(
            base
            | {
                "record_id": f"g{i}",
                "state": "given",
                "event_time": T0,
                "valid_until": T0 + timedelta(days=365),
            }
        )
        if i % 2:
            rows.append(
                base
                | {
                    "record_id": f"w{i}",
                    "state": "withdrawn",
                    "event_time": T0 + timedelta(hours=1),
                    "valid_until": None,
                }
            )
    with synced.begin() as conn:
        conn.execute(insert(consent_events), rows)
        rebuild_current(conn)  # rows written around consent.records need the projection rebuilt
    statements.clear()
    found = eligible(synced, TRANSPORT, T0 + timedelta(hours=2))
    assert len(statements) == 1
    assert found == {f"s{i:05d}" for i in range(0, citizens, 2)}
    statements.clear()  # in the past, the withdrawn half is replayed from the log
    found = eligible(synced, TRANSPORT, T0 + timedelta(minutes=30))
    assert len(statements) == 1
    assert found == {f"s{i:05d}" for i in range(citizens)}
