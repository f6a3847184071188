"""The audit log: a gapless, signed, Merkle-hashed sequence of entries.

``audit_events.id`` is the entry's leaf index (0-based, gapless), assigned
under the lock of the single ``audit_head`` row in the same transaction as the
audited action. ``entry`` holds the canonical JSON that is hashed as the leaf;
the other columns repeat its fields for filtering. Checkpoints are signed tree
heads (size, root) in signed-note form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base


class AuditEvent(Base):
    """One audited action: who did what to which resource, and the outcome."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    resource: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str | None] = mapped_column(String(40), index=True)
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    dataset: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entry: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditHead(Base):
    """The single row whose lock serialises appends: the log's current size."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class AuditCheckpoint(Base):
    """A signed tree head: the root of the first ``size`` entries, as a signed note."""

    __tablename__ = "audit_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text)


class AuditCosignature(Base):
    """A witness's cosignature of a checkpoint: a C2SP ``tlog-cosignature`` note line."""

    __tablename__ = "audit_cosignatures"

    checkpoint_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(255), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
