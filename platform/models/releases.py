"""The privacy-budget ledger and the stored, signed releases.

- ``budget_accounts``: one row per policy grant (``grant:<policy id>``) and per
  dataset (``dataset:<id>``), created on demand. A reservation locks the rows
  it charges (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock
  serialises), so concurrent requests from several processes never overspend.
- ``budget_reservations``: one row per release attempt, with its exact cost in
  integer units (micro-epsilon, 1e-15 delta) and its state: ``reserved`` while
  the release runs, ``spent`` once it ran (or failed after noise may have been
  drawn), ``released`` only when it failed before the engine ran. Reserved and
  spent rows count against the budgets of every window they fall in.
- ``releases``: the signed release documents, keyed for re-use by query hash,
  policy and policy-set hash.
- ``public_releases``: the signed public statements of the releases whose
  policy is public, which the transparency page shows.

Which citizens a release used is not stored: it follows from the append-only
consent history and the record blocks (see :mod:`civicdata.releases.privacy_loss`),
so a release never writes one row per citizen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow

RESERVATION_STATES = ("reserved", "spent", "released")


class BudgetAccount(Base):
    """A lockable row per grant and per dataset: the ledger's serialisation point."""

    __tablename__ = "budget_accounts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetReservation(Base):
    """The cost of one release attempt, charged to a grant and to a dataset's city cap."""

    __tablename__ = "budget_reservations"
    __table_args__ = (
        CheckConstraint("state IN ('reserved', 'spent', 'released')", name="state"),
        CheckConstraint("epsilon_units > 0 AND delta_units >= 0", name="amounts"),
        Index("ix_budget_reservations_policy_time", "policy_id", "reserved_at"),
        Index("ix_budget_reservations_dataset_time", "dataset", "reserved_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(63))
    requester: Mapped[str] = mapped_column(String(160))
    policy_set_hash: Mapped[str] = mapped_column(String(64))
    query_hash: Mapped[str] = mapped_column(String(64))
    epsilon_units: Mapped[int] = mapped_column(BigInteger)
    delta_units: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(10))
    reserved_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    release_id: Mapped[str | None] = mapped_column(String(40))


class StoredRelease(Base):
    """A release as published: its canonical JSON document and Ed25519 signature."""

    __tablename__ = "releases"
    __table_args__ = (
        Index("ix_releases_reuse", "query_hash", "policy_id", "policy_set_hash", "created_at"),
        Index("ix_releases_department_time", "department", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    department: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(160))
    policy_id: Mapped[str] = mapped_column(String(64))
    policy_set_hash: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(63))
    query_hash: Mapped[str] = mapped_column(String(64))
    mechanism: Mapped[str] = mapped_column(String(16))
    epsilon_units: Mapped[int] = mapped_column(BigInteger)
    delta_units: Mapped[int] = mapped_column(BigInteger, default=0)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("budget_reservations.id"))
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))
    consent_checked_at: Mapped[datetime]  # the instant whose consents decided who counted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublicRelease(Base):
    """A release its policy made public: the public statement of it, signed on its own.

    Written in the same transaction as the release, only when the policy that
    granted it was marked ``public`` at that moment. ``document`` is the release
    document without who asked (only the department stays), as canonical JSON,
    and ``signature`` is the releases key's signature over the public-release
    context (:mod:`civicdata.releases.publication`). The transparency page reads
    only this table, never ``releases``. ``seq`` orders and pages the feed.
    """

    __tablename__ = "public_releases"
    __table_args__ = (Index("ix_public_releases_dataset", "dataset", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), unique=True)
    dataset: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(63))
    document: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
