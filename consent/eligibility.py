"""The question every release asks: whose records may purpose P use at instant t?

One set-based query, built here and executed by the caller, so the release
engine can run it on its own or embed it in its scan::

    records.c.citizen_id.in_(eligible_subjects("transport-planning", now))

Every purpose on this platform is **opt-in, whatever its legal basis**
(``dpv:PublicInterest`` included): a citizen counts only with a consent event
that is active at ``t``. No record, no use.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Select, func, select, true, union_all
from sqlalchemy.orm import Session

from consent.tables import consent_current, consent_events, notice_versions, to_utc


def eligible_subjects(
    purpose_id: str, at: datetime, *, subject_id: str | None = None
) -> Select[tuple[str]]:
    """A ``SELECT`` of the citizen ids whose consent to ``purpose_id`` is active at ``at``.

    Active means: the citizen's latest event for the purpose at or before
    ``at`` (ties on time broken by insertion order) is a grant, it is still
    valid (``at < valid_until``), and no *material* notice version newer than
    the one consented to was published at or before ``at``. So a withdrawal,
    an expiry or a material notice change takes effect for every query asked
    at or after its instant, and events dated after ``at`` are ignored.

    Runs as one statement however many citizens there are, in two disjoint
    parts. Subjects whose latest event overall is at or before ``at`` (all of
    them when ``at`` is now) are answered from the ``consent_current``
    projection: that event is also their latest at ``at``. Subjects whose
    latest event is after ``at`` (a question about the past) are answered by
    replaying their log with a window function, as before. Events inserted
    around :mod:`consent.records`/:mod:`consent.bulk` need
    :func:`consent.current.rebuild_current` to count. ``subject_id``
    narrows it to one citizen, which is how :func:`is_active` asks about a
    single consent.
    """
    at = to_utc(at)
    ce, cc = consent_events, consent_current
    floor = _material_floor(purpose_id, at)
    settled = select(cc.c.subject_id).where(
        cc.c.purpose_id == purpose_id,
        cc.c.state == "given",
        cc.c.valid_until > at,
        cc.c.event_time <= at,
        cc.c.notice_version >= floor,
    )
    changed_since = select(cc.c.subject_id).where(
        cc.c.purpose_id == purpose_id, cc.c.event_time > at
    )
    ranked = select(
        ce.c.subject_id,
        ce.c.state,
        ce.c.valid_until,
        ce.c.notice_version,
        func.row_number()
        .over(partition_by=ce.c.subject_id, order_by=(ce.c.event_time.desc(), ce.c.seq.desc()))
        .label("newest_first"),
    ).where(
        ce.c.purpose_id == purpose_id,
        ce.c.event_time <= at,
        ce.c.subject_id.in_(changed_since.scalar_subquery()),
    )
    if subject_id is not None:
        settled = settled.where(cc.c.subject_id == subject_id)
        ranked = ranked.where(ce.c.subject_id == subject_id)
    latest = ranked.subquery("latest_consent")
    replayed = select(latest.c.subject_id).where(
        latest.c.newest_first == 1,
        latest.c.state == "given",
        latest.c.valid_until > at,
        latest.c.notice_version >= floor,
    )
    eligible = union_all(settled, replayed).subquery("eligible")
    return select(eligible.c.subject_id)


def _material_floor(purpose_id: str, at: datetime) -> ColumnElement[int]:
    """The newest material notice version published by ``at`` (0 if none).

    A consent to version ``v`` is superseded exactly when a material version
    newer than ``v`` was published at or before ``at``, i.e. when ``v`` is
    below this floor; one uncorrelated subquery instead of a probe per row.
    """
    nv = notice_versions
    newest = (
        select(func.max(nv.c.version))
        .where(nv.c.purpose_id == purpose_id, nv.c.material.is_(true()), nv.c.published_at <= at)
        .scalar_subquery()
    )
    return func.coalesce(newest, 0)


def is_active(conn: Connection | Session, subject_id: str, purpose_id: str, at: datetime) -> bool:
    """Whether one citizen's consent to ``purpose_id`` is active at ``at`` (same rule)."""
    found = conn.execute(eligible_subjects(purpose_id, at, subject_id=subject_id)).first()
    return found is not None
