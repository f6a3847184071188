"""Giving and withdrawing consent for many citizens at one instant (demo city, imports).

The same rules as :func:`consent.records.give` and :func:`consent.records.withdraw`:
every event gets its own record id and signed receipt and is only ever
appended. Every check runs for the whole batch before anything is written, in
a bounded number of queries (one per :data:`BULK_CHUNK` subjects), and rows go
in with ``executemany``. Each chunk's events then update the derived
projection ``consent_current`` with one ``INSERT ... SELECT ... ON CONFLICT DO
UPDATE`` (:func:`consent.current.project_events`), in the same transaction,
which also refreshes the planner statistics after a large batch
(:mod:`consent.planner`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select
from sqlalchemy.orm import Session

from consent.current import project_events
from consent.notices import NoticeVersion, get_notice
from consent.planner import refresh_after_load
from consent.purposes import Purpose
from consent.receipts import ReceiptIssuer
from consent.records import (
    ConsentError,
    ConsentEvent,
    check_order,
    check_request,
    event_row,
    new_event,
    notice_in_force,
)
from consent.tables import consent_current, consent_events, to_utc

BULK_CHUNK = 1000


def give_many(
    conn: Connection | Session,
    subject_ids: Sequence[str],
    purpose: Purpose,
    *,
    language: str,
    method: str,
    now: datetime,
    issuer: ReceiptIssuer,
    client_id: str | None = None,
) -> int:
    """:func:`~consent.records.give` for every one of ``subject_ids`` at ``now``; returns the events written.

    Raises :class:`ConsentError`, writing nothing, if a subject is listed twice,
    the notice in force is not ``purpose``'s, or a subject already has an event
    for the purpose dated after ``now``.
    """
    now = to_utc(now)
    _check_batch(subject_ids, purpose, language, method, client_id)
    notice = notice_in_force(conn, purpose, now)
    for chunk in _chunks(subject_ids):
        later = conn.execute(
            select(func.count())
            .select_from(consent_events)
            .where(
                consent_events.c.purpose_id == purpose.id,
                consent_events.c.subject_id.in_(chunk),
                consent_events.c.event_time > now,
            )
        ).scalar_one()
        if later:
            raise ConsentError(
                f"{later} subject(s) have consent events dated after {now.isoformat()}"
            )
    valid_until = to_utc(purpose.consent_valid_until(now))
    events = (
        new_event(
            issuer,
            subject_id=subject_id,
            purpose=purpose,
            notice=notice,
            language=language,
            method=method,
            client_id=client_id,
            state="given",
            now=now,
            valid_until=valid_until,
        )
        for subject_id in subject_ids
    )
    return _insert_many(conn, events)


def withdraw_many(
    conn: Connection | Session,
    subject_ids: Sequence[str],
    purpose: Purpose,
    *,
    language: str,
    method: str,
    now: datetime,
    issuer: ReceiptIssuer,
    client_id: str | None = None,
) -> int:
    """:func:`~consent.records.withdraw` for every one of ``subject_ids`` at ``now``; returns the events written.

    Raises :class:`ConsentError`, writing nothing, if a subject is listed twice,
    or one of them has no grant to withdraw or an event dated after ``now``.
    """
    now = to_utc(now)
    _check_batch(subject_ids, purpose, language, method, client_id)
    latest: dict[str, Row[Any]] = {}
    for chunk in _chunks(subject_ids):
        latest.update(_latest_events(conn, purpose.id, chunk))
    not_given = [s for s in subject_ids if s not in latest or latest[s].state != "given"]
    if not_given:
        raise ConsentError(
            f"no consent to purpose {purpose.id!r} to withdraw for {len(not_given)} subject(s)"
        )
    for row in latest.values():
        check_order(row, now)
    notices: dict[int, NoticeVersion] = {}
    for version in {row.notice_version for row in latest.values()}:
        found = get_notice(conn, purpose.id, version)
        if found is None:  # the foreign key makes this unreachable unless rows were deleted
            raise ConsentError(f"notice version {version} of {purpose.id!r} is missing")
        notices[version] = found
    events = (
        new_event(
            issuer,
            subject_id=subject_id,
            purpose=purpose,
            notice=notices[latest[subject_id].notice_version],
            language=language,
            method=method,
            client_id=client_id,
            state="withdrawn",
            now=now,
            valid_until=None,
        )
        for subject_id in subject_ids
    )
    return _insert_many(conn, events)


def _check_batch(
    subject_ids: Sequence[str],
    purpose: Purpose,
    language: str,
    method: str,
    client_id: str | None,
) -> None:
    if len(set(subject_ids)) != len(subject_ids):
        raise ConsentError("a subject is listed more than once")
    for subject_id in subject_ids:
        check_request(subject_id, purpose, language, method, client_id)


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + BULK_CHUNK] for i in range(0, len(items), BULK_CHUNK)]


def _latest_events(
    conn: Connection | Session, purpose_id: str, subject_ids: Sequence[str]
) -> dict[str, Row[Any]]:
    """The latest event of each subject for ``purpose_id`` (one query)."""
    ce = consent_events
    ranked = (
        select(
            ce.c.subject_id,
            ce.c.state,
            ce.c.event_time,
            ce.c.notice_version,
            func.row_number()
            .over(partition_by=ce.c.subject_id, order_by=(ce.c.event_time.desc(), ce.c.seq.desc()))
            .label("newest_first"),
        )
        .where(ce.c.purpose_id == purpose_id, ce.c.subject_id.in_(subject_ids))
        .subquery()
    )
    rows = conn.execute(select(ranked).where(ranked.c.newest_first == 1))
    return {row.subject_id: row for row in rows}


def _insert_many(conn: Connection | Session, events: Iterable[ConsentEvent]) -> int:
    """Insert events with ``executemany``, :data:`BULK_CHUNK` rows at a time, and project them.

    Two statements per chunk: the ``executemany`` insert and one bulk upsert of
    the chunk's ``consent_current`` rows. A large load then refreshes both
    tables' planner statistics (:func:`consent.planner.refresh_after_load`), so
    the next release does not plan over a consent list it believes tiny.
    """
    written = 0
    batch: list[dict[str, Any]] = []
    for event in events:
        batch.append(event_row(event))
        if len(batch) == BULK_CHUNK:
            written += _write_chunk(conn, batch)
            batch = []
    if batch:
        written += _write_chunk(conn, batch)
    refresh_after_load(conn, {consent_events: written, consent_current: written})
    return written


def _write_chunk(conn: Connection | Session, rows: list[dict[str, Any]]) -> int:
    conn.execute(insert(consent_events), rows)
    project_events(conn, [row["record_id"] for row in rows])
    return len(rows)
