"""Tests that play the attacker edit history directly, past the append-only triggers."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def allow_tampering(db: Session | Connection) -> None:
    """Let this transaction change history, as a PostgreSQL superuser could (no-op on SQLite).

    The triggers of revision ``0005_audit_append_only`` refuse UPDATE and DELETE
    on the log and consent history; ``session_replication_role = replica``
    (superusers only, until the transaction ends) skips them.
    """
    bind = db.get_bind() if isinstance(db, Session) else db
    if bind.dialect.name == "postgresql":
        db.execute(text("SET LOCAL session_replication_role = replica"))
