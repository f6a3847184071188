"""Consent history is append-only: changes add events, nothing is updated or deleted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, event, select, update

from consent.append_only import AppendOnlyError, guard_append_only
from consent.eligibility import eligible_subjects
from consent.notices import sync_notices
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.records import give, history, withdraw
from consent.status import states
from consent.tables import consent_events, notice_versions
from tests.consent.helpers import T0, reworded

TRANSPORT = "transport-planning"


@pytest.fixture
def changes(engine: Engine) -> Iterator[list[str]]:
    """Every UPDATE or DELETE statement sent to the database while the test runs."""
    seen: list[str] = []

    def watch(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    yield seen
    event.remove(engine, "before_cursor_execute", watch)


def test_the_whole_life_cycle_only_inserts(
    engine: Engine, purposes: dict[str, Purpose], issuer: ReceiptIssuer, changes: list[str]
) -> None:
    transport = purposes[TRANSPORT]
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0)
        give(conn, "a", transport, language="en", method="portal", now=T0, issuer=issuer)
        before = conn.execute(select(consent_events).order_by(consent_events.c.seq)).all()
        withdraw(
            conn,
            "a",
            transport,
            language="en",
            method="portal",
            now=T0 + timedelta(hours=1),
            issuer=issuer,
        )
        changed = reworded(transport, material=True)
        sync_notices(conn, {TRANSPORT: changed}, T0 + timedelta(days=1))
        give(
            conn,
            "a",
            changed,
            language="ca",
            method="oauth",
            client_id="app",
            now=T0 + timedelta(days=2),
            issuer=issuer,
        )
        states(conn, "a", purposes, T0 + timedelta(days=400))  # past expiry
        conn.execute(eligible_subjects(TRANSPORT, T0 + timedelta(days=400))).all()
        after = conn.execute(select(consent_events).order_by(consent_events.c.seq)).all()
        assert [e.state for e in history(conn, "a")] == ["given", "withdrawn", "given"]
    assert changes == []
    assert after[: len(before)] == before  # earlier rows untouched, byte for byte
    assert len(after) == 3


@pytest.mark.parametrize("table", [consent_events, notice_versions], ids=lambda t: t.name)
def test_the_guard_refuses_updates_and_deletes(
    engine: Engine,
    purposes: dict[str, Purpose],
    issuer: ReceiptIssuer,
    changes: list[str],
    table,  # type: ignore[no-untyped-def]
) -> None:
    guard_append_only(engine)
    with engine.begin() as conn:  # inserting still works under the guard
        sync_notices(conn, purposes, T0)
        give(conn, "a", purposes[TRANSPORT], language="en", method="portal", now=T0, issuer=issuer)
    with engine.begin() as conn:
        with pytest.raises(AppendOnlyError, match="DELETE refused"):
            conn.execute(delete(table))
        with pytest.raises(AppendOnlyError, match="UPDATE refused"):
            conn.execute(update(table).values(purpose_id="other"))
    assert changes == []  # refused before reaching the database
    with engine.connect() as conn:
        assert [e.state for e in history(conn, "a")] == ["given"]
