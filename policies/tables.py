"""Tables of the policies package (SQLAlchemy Core, on the package's own metadata).

``policy_sets`` keeps every distinct policy set that was loaded: its canonical
JSON content, the SHA-256 of that content and when it was loaded (UTC), so the
set in force at any moment can be found again (:mod:`policies.history`).
SQLite returns naive datetimes; readers attach UTC.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

policy_sets = Table(
    "policy_sets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("content", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, index=True),
)
