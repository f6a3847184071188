"""Bulk consent changes: the same rules, receipts and append-only log as one at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, func, select

from consent.bulk import BULK_CHUNK, give_many, withdraw_many
from consent.eligibility import eligible_subjects
from consent.notices import sync_notices
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer, verify_receipt
from consent.records import ConsentError, give, history
from consent.tables import consent_events
from tests.consent.helpers import T0, reworded

TRANSPORT = "transport-planning"


@pytest.fixture
def synced(engine: Engine, purposes: dict[str, Purpose]) -> Engine:
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0 - timedelta(days=1))
    return engine


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(consent_events)).scalar_one()


def test_give_many_and_withdraw_many_write_signed_events_that_count(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    transport = purposes[TRANSPORT]
    subjects = [f"c-{i}" for i in range(25)]
    later = T0 + timedelta(hours=1)
    with synced.begin() as conn:
        assert (
            give_many(
                conn, subjects, transport, language="ca", method="portal", now=T0, issuer=issuer
            )
            == 25
        )
        assert (
            withdraw_many(
                conn,
                subjects[:5],
                transport,
                language="en",
                method="api",
                now=later,
                issuer=issuer,
                client_id="app-1",
            )
            == 5
        )
        with_history = history(conn, "c-0")
        eligible_now = set(conn.execute(eligible_subjects(TRANSPORT, later)).scalars())
        eligible_before = set(
            conn.execute(eligible_subjects(TRANSPORT, later - timedelta(seconds=1))).scalars()
        )
    assert eligible_now == set(subjects[5:])
    assert eligible_before == set(subjects)
    given, withdrawn = with_history
    assert (given.state, given.language, given.valid_until) == (
        "given",
        "ca",
        T0.replace(year=2026),
    )
    assert (withdrawn.state, withdrawn.client_id, withdrawn.notice_version) == (
        "withdrawn",
        "app-1",
        1,
    )
    public_key = issuer.signing_key.public_key()
    for event_ in with_history:
        assert verify_receipt(event_.document(), public_key)["consentReceiptID"] == event_.record_id
    assert len({e.record_id for e in with_history}) == 2


def test_a_bad_batch_writes_nothing(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    transport = purposes[TRANSPORT]
    kwargs = {"language": "en", "method": "portal", "issuer": issuer}
    with synced.begin() as conn:
        give(conn, "late", transport, now=T0 + timedelta(days=1), **kwargs)
    before = _count(synced)
    with synced.begin() as conn:
        with pytest.raises(ConsentError, match="more than once"):
            give_many(conn, ["a", "b", "a"], transport, now=T0, **kwargs)
        with pytest.raises(ConsentError, match="dated after"):
            give_many(conn, ["a", "late"], transport, now=T0, **kwargs)
        with pytest.raises(ConsentError, match=r"no consent .* to withdraw for 1 "):
            withdraw_many(conn, ["late", "never"], transport, now=T0 + timedelta(days=2), **kwargs)
        with pytest.raises(ConsentError, match="before the last consent event"):
            withdraw_many(conn, ["late"], transport, now=T0, **kwargs)
        with pytest.raises(ConsentError, match="language"):
            give_many(conn, ["a"], transport, now=T0, **{**kwargs, "language": "fr"})
        with pytest.raises(ConsentError, match="sync_notices"):
            give_many(conn, ["a"], reworded(transport, material=False), now=T0, **kwargs)
    assert _count(synced) == before


def test_checks_run_in_a_bounded_number_of_queries(
    synced: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer
) -> None:
    subjects = [f"c-{i}" for i in range(2 * BULK_CHUNK + 1)]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(synced, "before_cursor_execute", count)
    try:
        with synced.begin() as conn:
            give_many(
                conn,
                subjects,
                purposes[TRANSPORT],
                language="en",
                method="portal",
                now=T0,
                issuer=issuer,
            )
    finally:
        event.remove(synced, "before_cursor_execute", count)
    inserts = [s for s in statements if s.startswith("INSERT")]
    events = [s for s in inserts if s.startswith("INSERT INTO consent_events")]
    projections = [s for s in inserts if s.startswith("INSERT INTO consent_current")]
    assert len(events) == 3  # executemany per chunk, not one statement per citizen
    assert len(projections) == 3  # one bulk upsert of the projection per chunk
    assert len(inserts) == 6
    # the notice, one check per chunk, an insert and an upsert per chunk, and on
    # PostgreSQL the statistics refresh of this large batch (a look-up and ANALYZE)
    refresh = 2 if synced.dialect.name == "postgresql" else 0
    assert len(statements) <= 1 + 3 + 3 + 3 + refresh
    assert _count(synced) == len(subjects)
