"""Where a citizen stands, purpose by purpose: what the dashboard and apps show.

``state`` is one of ``none`` (never asked: opt-in, so not used), ``given``,
``withdrawn``, ``expired`` (``valid_until`` has passed) or ``needs_review``
(given to an older notice version). ``active`` applies the same rule as
:func:`consent.eligibility.eligible_subjects`: a consent needing review still
counts unless a newer version is a material change (``reconsent_required``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, true
from sqlalchemy.orm import Session

from consent.notices import NoticeVersion, current_notices
from consent.tables import consent_events, from_db, notice_versions, to_utc


@dataclass(frozen=True, slots=True)
class ConsentState:
    """One purpose's consent state for one citizen at one instant."""

    purpose_id: str
    state: str
    given_version: int | None
    current_version: int | None
    event_time: datetime | None
    valid_until: datetime | None
    active: bool
    reconsent_required: bool


def states(
    conn: Connection | Session, subject_id: str, purpose_ids: Iterable[str], now: datetime
) -> dict[str, ConsentState]:
    """The state of ``subject_id``'s consent to each purpose at ``now`` (three queries).

    ``purpose_ids`` may be the purposes mapping itself; the result keeps its order.
    """
    now = to_utc(now)
    wanted = list(purpose_ids)
    ce = consent_events
    ranked = (
        select(
            ce.c.purpose_id,
            ce.c.state,
            ce.c.notice_version,
            ce.c.event_time,
            ce.c.valid_until,
            func.row_number()
            .over(partition_by=ce.c.purpose_id, order_by=(ce.c.event_time.desc(), ce.c.seq.desc()))
            .label("newest_first"),
        )
        .where(ce.c.subject_id == subject_id, ce.c.purpose_id.in_(wanted), ce.c.event_time <= now)
        .subquery()
    )
    latest = {
        row.purpose_id: row
        for row in conn.execute(select(ranked).where(ranked.c.newest_first == 1))
    }
    current = current_notices(conn, now)
    material = _material_versions(conn, wanted, now)
    result: dict[str, ConsentState] = {}
    for pid in wanted:
        row = latest.get(pid)
        notice: NoticeVersion | None = current.get(pid)
        current_version = notice.version if notice else None
        if row is None:
            result[pid] = ConsentState(pid, "none", None, current_version, None, None, False, False)
            continue
        valid_until = from_db(row.valid_until) if row.valid_until is not None else None
        reconsent = any(v > row.notice_version for v in material.get(pid, ()))
        if row.state != "given":
            state = row.state
        elif valid_until is None or valid_until <= now:
            state = "expired"
        elif current_version is not None and row.notice_version < current_version:
            state = "needs_review"
        else:
            state = "given"
        result[pid] = ConsentState(
            purpose_id=pid,
            state=state,
            given_version=row.notice_version,
            current_version=current_version,
            event_time=from_db(row.event_time),
            valid_until=valid_until,
            active=state in ("given", "needs_review") and not reconsent,
            reconsent_required=state == "needs_review" and reconsent,
        )
    return result


def _material_versions(
    conn: Connection | Session, purpose_ids: list[str], now: datetime
) -> dict[str, list[int]]:
    nv = notice_versions
    rows = conn.execute(
        select(nv.c.purpose_id, nv.c.version).where(
            nv.c.purpose_id.in_(purpose_ids), nv.c.material.is_(true()), nv.c.published_at <= now
        )
    )
    found: dict[str, list[int]] = {}
    for row in rows:
        found.setdefault(row.purpose_id, []).append(row.version)
    return found
