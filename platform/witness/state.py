"""The witness's own storage: the latest checkpoint it cosigned, per log origin.

One row per origin in the witness's own database (a SQLite file by default),
never the platform's. Advancing is a compare-and-swap on the stored size, so
two concurrent submissions can never roll the witness back (C2SP requires the
check and the update to be atomic).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

metadata = MetaData()
witnessed = Table(
    "witnessed_checkpoints",
    metadata,
    Column("origin", String(255), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Witnessed:
    size: int
    root: bytes


def create_schema(engine: Engine) -> None:
    metadata.create_all(engine)


def latest(engine: Engine, origin: str) -> Witnessed | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(witnessed.c.size, witnessed.c.root).where(witnessed.c.origin == origin)
        ).first()
    return None if row is None else Witnessed(row.size, row.root)


def advance(engine: Engine, origin: str, old: int, size: int, root: bytes, note: str) -> bool:
    """Record ``size``/``root`` as the latest if the stored size is still ``old``."""
    values = {"size": size, "root": root, "note": note, "at": datetime.now(UTC)}
    with engine.begin() as conn:
        if old == 0:
            try:
                with conn.begin_nested():
                    conn.execute(insert(witnessed).values(origin=origin, **values))
                return True
            except IntegrityError:
                pass  # already known: advance from a stored size of 0, if that is what it is
        done = conn.execute(
            update(witnessed)
            .where(witnessed.c.origin == origin, witnessed.c.size == old)
            .values(**values)
        )
        return done.rowcount == 1
