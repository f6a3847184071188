"""Keeping ``consent_current``, the latest event per subject and purpose, in step with the log.

``consent_current`` is a derived projection of the append-only ``consent_events``
log: one row per (subject, purpose) copying the latest event's ``seq``, time,
state, validity and notice version. :mod:`consent.records` and
:mod:`consent.bulk` call :func:`project_events` right after inserting events,
in the same transaction, so the projection commits or rolls back with them.
Eligibility reads it instead of replaying the log (see
:mod:`consent.eligibility`).

The projection is updated in place and is deliberately outside the
append-only guard; :func:`rebuild_current` recomputes it from the log (for
operators, a migration, or after rows were written around this package).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from consent.tables import consent_current, consent_events

#: The columns copied from the latest event (besides the key).
FIELDS = ("seq", "event_time", "state", "valid_until", "notice_version")
COLUMNS = ("subject_id", "purpose_id", *FIELDS)


def project_events(conn: Connection | Session, record_ids: Sequence[str]) -> None:
    """Upsert the projection rows of the just-inserted events ``record_ids`` (one statement).

    A row is replaced only by a later event (event time, then ``seq``), the
    log's own order, so concurrent writers cannot leave an older event on top.
    ``record_ids`` must name at most one event per (subject, purpose).
    """
    if not record_ids:
        return
    ce = consent_events
    source = select(*(ce.c[name] for name in COLUMNS)).where(ce.c.record_id.in_(record_ids))
    conn.execute(_upsert(conn, source))


def rebuild_current(conn: Connection | Session) -> int:
    """Recompute the whole projection from ``consent_events``; returns its row count.

    Deletes every projection row and inserts the latest event of each
    (subject, purpose), ties on time broken by ``seq`` as everywhere else.
    """
    ce = consent_events
    ranked = select(
        *(ce.c[name] for name in COLUMNS),
        func.row_number()
        .over(
            partition_by=(ce.c.subject_id, ce.c.purpose_id),
            order_by=(ce.c.event_time.desc(), ce.c.seq.desc()),
        )
        .label("newest_first"),
    ).subquery("ranked")
    latest = select(*(ranked.c[name] for name in COLUMNS)).where(ranked.c.newest_first == 1)
    conn.execute(delete(consent_current))
    conn.execute(insert(consent_current).from_select(COLUMNS, latest))
    return conn.execute(select(func.count()).select_from(consent_current)).scalar_one()


def _upsert(conn: Connection | Session, source: Select[Any]) -> Any:
    """``INSERT INTO consent_current SELECT ... ON CONFLICT DO UPDATE`` where newer."""
    dialect = _dialect_name(conn)
    if dialect == "sqlite":
        stmt: Any = sqlite.insert(consent_current)
    elif dialect == "postgresql":
        stmt = postgresql.insert(consent_current)
    else:
        raise ValueError(
            f"unsupported database {dialect!r}: consent is stored on SQLite or PostgreSQL"
        )
    stmt = stmt.from_select(COLUMNS, source)
    cc, new = consent_current.c, stmt.excluded
    newer = or_(
        new.event_time > cc.event_time,
        and_(new.event_time == cc.event_time, new.seq > cc.seq),
    )
    return stmt.on_conflict_do_update(
        index_elements=[cc.subject_id, cc.purpose_id],
        set_={name: new[name] for name in FIELDS},
        where=newer,
    )


def _dialect_name(conn: Connection | Session) -> str:
    if isinstance(conn, Session):
        return conn.get_bind().dialect.name
    return conn.dialect.name
