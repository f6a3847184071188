"""The scan's PostgreSQL plans hold right after a bulk load, before any ANALYZE.

Autovacuum is off for the test's tables and their statistics are taken while
they are empty, then citizens, records and consents arrive in bulk through the
ingestion service and :func:`consent.bulk.give_many` (with their own refresh of
statistics disabled). The scan's statements are then explained as they run
(the block query as a server-side cursor, which PostgreSQL plans for the first
rows) with ``EXPLAIN ANALYZE``: no nested loop may re-read anything but an
index for each outer row, and the work done (rows produced by every plan node,
times their loops) is within 1.5x of the same scan after ``ANALYZE``. Rows,
not seconds: the quadratic plan this guards against (a semi join re-reading
the eligibility list for every block) does millions of row visits here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from civicdata.consents.issuers import ensure_published, receipt_issuer
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.ingestion import NDJSON, Upload, ingest
from civicdata.models import Citizen
from civicdata.records import scan_dataset
from consent import planner
from consent.bulk import give_many
from consent.eligibility import eligible_subjects

PURPOSE = "transport-planning"
CITIZENS = 1500
TRIPS_EACH = 2
TABLES = (
    "citizens",
    "citizen_keys",
    "citizen_lookups",
    "record_blocks",
    "source_records",
    "consent_events",
    "consent_current",
)
# Nodes a nested loop may run for every outer row: index probes, nothing rescanned.
PROBES = {
    "Index Scan",
    "Index Only Scan",
    "Bitmap Heap Scan",
    "Bitmap Index Scan",
    "BitmapAnd",
    "BitmapOr",
    "Memoize",
}


@pytest.fixture
def stale_tables(platform_: Platform) -> Iterator[Platform]:
    """Autovacuum off and statistics of empty tables; both restored afterwards."""
    if platform_.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    with platform_.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
        conn.execute(text("ANALYZE " + ", ".join(TABLES)))
    try:
        yield platform_
    finally:
        with platform_.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))


def _load(platform: Platform) -> None:
    """CITIZENS new travel cards with TRIPS_EACH trips each, all consenting."""
    lines = "".join(
        json.dumps(
            {
                "source_id": f"trip-{i}",
                "travel_card": f"TC-{i % CITIZENS}",
                "mode": "bus",
                "district": "Harbour",
                "month": f"2025-{i % 12 + 1:02d}",
                "duration_min": float(i % 90),
            }
        )
        + "\n"
        for i in range(CITIZENS * TRIPS_EACH)
    )
    spec = platform.catalog.datasets["trips"]
    response = ingest(
        platform, Upload("src", "client:src", spec, NDJSON), io.BytesIO(lines.encode())
    )
    assert response.status == 201, response.body
    purpose = platform.purposes[PURPOSE]
    with platform.sessions() as session:
        ensure_published(platform, session, [purpose])
        ids = list(session.scalars(Citizen.__table__.select().with_only_columns(Citizen.id)))
        issuer = receipt_issuer(platform, purpose)
        give_many(
            session, ids, purpose, language="en", method="portal", now=utcnow(), issuer=issuer
        )
        session.commit()


def _scan_statements(platform: Platform) -> list[tuple[str, Any, bool]]:
    """Run the release's scan; each statement it sent, its parameters, and if it was a cursor."""
    sent: list[tuple[str, Any, bool]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool
    ) -> None:
        sent.append((statement, parameters, bool(context.execution_options.get("stream_results"))))

    spec = platform.catalog.datasets["trips"]
    event.listen(platform.engine, "before_cursor_execute", record)
    try:
        with platform.sessions() as session:
            frame = scan_dataset(
                session, platform.vault, spec, eligible_subjects(PURPOSE, utcnow())
            )
    finally:
        event.remove(platform.engine, "before_cursor_execute", record)
    assert frame.height == CITIZENS * TRIPS_EACH
    return sent


def _explain(conn: Connection, statement: str, parameters: Any, cursor: bool) -> dict[str, Any]:
    declare = "DECLARE scan_plan NO SCROLL CURSOR FOR " if cursor else ""
    found = conn.exec_driver_sql(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {declare}{statement}", parameters
    ).scalar_one()
    return found[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _probe(node: dict[str, Any]) -> bool:
    """An index look-up by key (a full index scan without a condition is a rescan)."""
    if node["Node Type"] in ("Index Scan", "Index Only Scan"):
        return "Index Cond" in node
    return node["Node Type"] in PROBES or node.get("Parent Relationship") == "InitPlan"


def _rescanned(plan: dict[str, Any]) -> list[str]:
    """Node types a nested loop runs again for each outer row that are not index probes."""
    bad = []
    for node in _nodes(plan):
        if node["Node Type"] != "Nested Loop":
            continue
        for inner in node["Plans"]:
            if inner.get("Parent Relationship") == "Inner":
                bad.extend(n["Node Type"] for n in _nodes(inner) if not _probe(n))
    return bad


def _work(plans: list[dict[str, Any]]) -> int:
    """Rows produced by every node, times the times it ran: the plans' work, in rows.

    A bitmap index scan's rows are the row ids its heap scan then reads, so they
    are counted once, at the heap scan (else a linear bitmap plan looks 2-3x a
    sequential one).
    """
    return sum(
        int(node["Actual Rows"] * node["Actual Loops"])
        for plan in plans
        for node in _nodes(plan)
        if node["Node Type"] != "Bitmap Index Scan"
    )


def _plans(platform: Platform) -> list[dict[str, Any]]:
    statements = _scan_statements(platform)
    with platform.engine.begin() as conn:
        return [_explain(conn, *sent) for sent in statements]


def test_a_scan_right_after_a_bulk_load_works_as_after_analyze(
    stale_tables: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = stale_tables
    monkeypatch.setattr(planner, "MIN_ROWS", 10**9)  # keep the load's statistics stale
    _load(platform)
    stale = _plans(platform)
    with platform.engine.begin() as conn:
        conn.execute(text("ANALYZE " + ", ".join(TABLES)))
    analysed = _plans(platform)
    assert [_rescanned(plan) for plan in stale] == [[] for _ in stale]
    assert _work(stale) <= 1.5 * _work(analysed), (_work(stale), _work(analysed))
