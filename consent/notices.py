"""Notice versions: which text of a purpose's notice was in force, and since when.

The purposes file holds only the current notice. :func:`sync_notices`, run when
the platform starts or the purposes are reloaded, compares each purpose's
``notice_hash`` with the last published version and records a new version when
the text changed. A consent refers to the version the citizen saw; a later
version makes it "needs review", and a later *material* version stops it from
counting until the citizen consents again.

>>> from consent.purposes import load_purposes
>>> from sqlalchemy import create_engine
>>> from datetime import UTC, datetime
>>> from consent.tables import metadata
>>> engine = create_engine("sqlite://")
>>> metadata.create_all(engine)
>>> with engine.begin() as conn:
...     [n.version for n in sync_notices(conn, load_purposes(), datetime.now(UTC))][:2]
[1, 1]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select
from sqlalchemy.orm import Session

from consent.purposes import Purpose
from consent.tables import from_db, notice_versions, to_utc


@dataclass(frozen=True, slots=True)
class NoticeVersion:
    """One published text of a purpose's notice, in every language."""

    purpose_id: str
    version: int
    notice_hash: str
    material: bool
    published_at: datetime
    texts: dict[str, dict[str, str]]

    @classmethod
    def from_row(cls, row: Row[Any]) -> NoticeVersion:
        return cls(
            purpose_id=row.purpose_id,
            version=row.version,
            notice_hash=row.notice_hash,
            material=bool(row.material),
            published_at=from_db(row.published_at),
            texts=dict(row.texts),
        )


def sync_notices(
    conn: Connection | Session, purposes: Mapping[str, Purpose], now: datetime
) -> list[NoticeVersion]:
    """Publish a new version for every purpose whose notice text changed; return them.

    Version numbers start at 1 and grow by one; ``material`` comes from the
    purpose's ``material_change`` flag. Unchanged notices write nothing, so this
    is safe to run at every start. The caller commits.
    """
    now = to_utc(now)
    latest = _latest_versions(conn, list(purposes))
    created: list[NoticeVersion] = []
    for purpose in purposes.values():
        previous = latest.get(purpose.id)
        if previous is not None and previous.notice_hash == purpose.notice_hash:
            continue
        version = NoticeVersion(
            purpose_id=purpose.id,
            version=1 if previous is None else previous.version + 1,
            notice_hash=purpose.notice_hash,
            material=purpose.material_change,
            published_at=now,
            texts={
                lang: {"title": text.title, "text": text.text}
                for lang, text in sorted(purpose.notice.items())
            },
        )
        conn.execute(
            insert(notice_versions).values(
                purpose_id=version.purpose_id,
                version=version.version,
                notice_hash=version.notice_hash,
                material=version.material,
                published_at=version.published_at,
                texts=version.texts,
            )
        )
        created.append(version)
    return created


def current_notices(conn: Connection | Session, at: datetime) -> dict[str, NoticeVersion]:
    """The notice version in force at ``at`` for every purpose that has one."""
    at = to_utc(at)
    nv = notice_versions
    newest = (
        select(nv.c.purpose_id, func.max(nv.c.version).label("version"))
        .where(nv.c.published_at <= at)
        .group_by(nv.c.purpose_id)
        .subquery()
    )
    rows = conn.execute(
        select(nv).join(
            newest, (nv.c.purpose_id == newest.c.purpose_id) & (nv.c.version == newest.c.version)
        )
    )
    return {row.purpose_id: NoticeVersion.from_row(row) for row in rows}


def current_notice(
    conn: Connection | Session, purpose_id: str, at: datetime
) -> NoticeVersion | None:
    """The version of ``purpose_id``'s notice in force at ``at`` (``None`` if none yet)."""
    row = conn.execute(
        select(notice_versions)
        .where(
            notice_versions.c.purpose_id == purpose_id,
            notice_versions.c.published_at <= to_utc(at),
        )
        .order_by(notice_versions.c.version.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else NoticeVersion.from_row(row)


def get_notice(conn: Connection | Session, purpose_id: str, version: int) -> NoticeVersion | None:
    """The text a citizen saw: version ``version`` of ``purpose_id``'s notice."""
    row = conn.execute(
        select(notice_versions).where(
            notice_versions.c.purpose_id == purpose_id, notice_versions.c.version == version
        )
    ).one_or_none()
    return None if row is None else NoticeVersion.from_row(row)


def _latest_versions(
    conn: Connection | Session, purpose_ids: list[str]
) -> dict[str, NoticeVersion]:
    rows = conn.execute(
        select(notice_versions)
        .where(notice_versions.c.purpose_id.in_(purpose_ids))
        .order_by(notice_versions.c.purpose_id, notice_versions.c.version)
    )
    return {row.purpose_id: NoticeVersion.from_row(row) for row in rows}
