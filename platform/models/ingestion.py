"""Uploads from data sources and the source-record index that makes them idempotent.

An :class:`Ingestion` is one upload (one record or a bulk file): who sent it,
to which dataset, its counts and, for retries under the same
``Idempotency-Key``, the hash of the request and the exact response given.
A :class:`SourceRecord` says that a source's record id was stored once: it
holds only a keyed digest of (client, dataset, source id), never the id itself,
so a retried record is recognised without keeping the source's identifiers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow


class Ingestion(Base):
    """One upload by a source (or an operator), with its outcome and stored response."""

    __tablename__ = "ingestions"
    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key", name="uq_ingestions_client_key"),
        Index("ix_ingestions_client_created", "client_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[str] = mapped_column(String(16))
    received: Mapped[int] = mapped_column(Integer)
    stored: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    response_status: Mapped[int] = mapped_column(Integer)
    response_type: Mapped[str] = mapped_column(String(64))
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceRecord(Base):
    """A source record stored once: keyed digest of (client, dataset, source id).

    ``ingestion_id`` is a plain reference (no foreign key): a bulk upload
    inserts one row per record, and a per-row constraint check would cost the
    hot path more than the reference is worth.
    """

    __tablename__ = "source_records"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    ingestion_id: Mapped[str] = mapped_column(String(40))
