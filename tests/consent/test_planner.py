"""Planner statistics refreshed by bulk consent changes (PostgreSQL; a no-op on SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, Table, text

from consent import planner
from consent.bulk import give_many
from consent.notices import sync_notices
from consent.planner import refresh_after_load
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.tables import consent_current, consent_events
from tests.consent.helpers import T0

TRANSPORT = "transport-planning"


@pytest.fixture
def synced(engine: Engine, purposes: dict[str, Purpose]) -> Engine:
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0 - timedelta(days=1))
    return engine


def _analysed_rows(conn: Connection, table: Table) -> float:
    """The row count PostgreSQL's planner believes (from the last ANALYZE)."""
    return conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
        {"name": table.name},
    ).scalar_one()


def _postgresql_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")


def test_sqlite_is_left_alone(synced: Engine) -> None:
    with synced.begin() as conn:
        analysed = refresh_after_load(conn, {consent_events: 10**6})
    assert analysed == ([] if synced.dialect.name == "sqlite" else ["consent_events"])


def test_a_large_bulk_grant_refreshes_the_consent_statistics(
    synced: Engine,
    purposes: dict[str, Purpose],
    issuer: ReceiptIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _postgresql_only(synced)
    monkeypatch.setattr(planner, "MIN_ROWS", 50)
    with synced.begin() as conn:
        conn.execute(text("ANALYZE consent_events, consent_current"))
        before = _analysed_rows(conn, consent_current)
    with synced.begin() as conn:
        subjects = [f"c-{i}" for i in range(60)]
        give_many(
            conn,
            subjects,
            purposes[TRANSPORT],
            language="en",
            method="portal",
            now=T0,
            issuer=issuer,
        )
    with synced.connect() as conn:
        assert before == 0
        assert _analysed_rows(conn, consent_current) == 60
        assert _analysed_rows(conn, consent_events) == 60


def test_a_small_batch_or_a_small_growth_leaves_statistics_to_autovacuum(
    synced: Engine,
    purposes: dict[str, Purpose],
    issuer: ReceiptIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _postgresql_only(synced)
    monkeypatch.setattr(planner, "MIN_ROWS", 50)
    transport = purposes[TRANSPORT]
    with synced.begin() as conn:
        give_many(
            conn,
            [f"c-{i}" for i in range(600)],
            transport,
            language="en",
            method="portal",
            now=T0,
            issuer=issuer,
        )
    with synced.begin() as conn:
        assert _analysed_rows(conn, consent_current) == 600
        small = [f"d-{i}" for i in range(40)]  # under MIN_ROWS
        give_many(conn, small, transport, language="en", method="portal", now=T0, issuer=issuer)
        assert refresh_after_load(conn, {consent_current: 55}) == []  # under 10% of 600
        assert refresh_after_load(conn, {consent_current: 61}) == ["consent_current"]
    with synced.connect() as conn:
        assert _analysed_rows(conn, consent_current) == 640
