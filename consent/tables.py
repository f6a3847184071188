"""The consent tables: published notice versions, the append-only consent log and its projection.

Declared with SQLAlchemy Core on this package's own :data:`metadata` (the
platform adds it to the schema it migrates). The two history tables only ever
grow: a change of mind is a new row in ``consent_events``, a new notice text a
new row in ``notice_versions``. Subjects are pseudonyms (citizen ids, no
foreign key across schemas), so erasing a citizen's data leaves their consent
history.

``consent_current`` is *not* history: it is a derived projection holding each
subject's latest event per purpose, updated in place in the same transaction
as every event insert (:mod:`consent.current`) so eligibility need not replay
the log. It can always be rebuilt from ``consent_events``.

Datetimes are stored in UTC. SQLite hands them back naive, so every read goes
through :func:`from_db`; every value written or compared goes through
:func:`to_utc`, which refuses naive datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
METHODS = ("portal", "oauth", "api")
STATES = ("given", "withdrawn", "expired")
SUBJECT_ID_LENGTH = 40  # citizen pseudonyms

metadata = MetaData(naming_convention=NAMING)

notice_versions = Table(
    "notice_versions",
    metadata,
    Column("purpose_id", String(63), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("notice_hash", String(64), nullable=False),
    Column("material", Boolean, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("texts", JSON, nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
)

consent_events = Table(
    "consent_events",
    metadata,
    # ``seq`` orders events that share an event time; ``record_id`` is public.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False, unique=True),
    Column("subject_id", String(SUBJECT_ID_LENGTH), nullable=False),
    Column("purpose_id", String(63), nullable=False),
    Column("notice_version", Integer, nullable=False),
    Column("language", String(8), nullable=False),
    Column("legal_basis", String(64), nullable=False),
    Column("controller", String(63), nullable=False),
    Column("collection_method", String(8), nullable=False),
    Column("client_id", String(128)),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True)),
    Column("state", String(10), nullable=False),
    Column("receipt", Text, nullable=False),
    Column("signature", String(128), nullable=False),
    ForeignKeyConstraint(
        ["purpose_id", "notice_version"],
        ["notice_versions.purpose_id", "notice_versions.version"],
        name="fk_consent_events_notice_versions",
    ),
    CheckConstraint("collection_method IN ('portal', 'oauth', 'api')", name="collection_method"),
    CheckConstraint("state IN ('given', 'withdrawn', 'expired')", name="state"),
    CheckConstraint("state <> 'given' OR valid_until IS NOT NULL", name="given_has_expiry"),
    CheckConstraint(
        "collection_method <> 'oauth' OR client_id IS NOT NULL", name="oauth_has_client"
    ),
    # The eligibility query: latest event per subject for one purpose, by time.
    Index("ix_consent_events_eligibility", "purpose_id", "subject_id", "event_time", "seq"),
    # A citizen's dashboard and history.
    Index("ix_consent_events_subject", "subject_id", "event_time"),
)

consent_current = Table(
    "consent_current",
    metadata,
    # The latest event (by event time, then seq) of each subject per purpose.
    # Derived from ``consent_events`` and upserted in place: not append-only.
    Column("subject_id", String(40), primary_key=True),
    Column("purpose_id", String(63), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("state", String(10), nullable=False),
    Column("valid_until", DateTime(timezone=True)),
    Column("notice_version", Integer, nullable=False),
    ForeignKeyConstraint(["seq"], ["consent_events.seq"], name="fk_consent_current_consent_events"),
    # Eligibility now: the active grants of one purpose.
    Index("ix_consent_current_eligibility", "purpose_id", "state", "valid_until"),
    # Eligibility in the past: the (few) subjects whose latest event is after the instant.
    Index("ix_consent_current_recent", "purpose_id", "event_time"),
)


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; naive datetimes are refused rather than guessed.

    >>> from datetime import timedelta, timezone
    >>> to_utc(datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=1)))).hour
    11
    """
    if value.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime (e.g. datetime.now(UTC))")
    return value.astimezone(UTC)


def from_db(value: datetime) -> datetime:
    """A datetime read back from the database, made aware in UTC (SQLite returns naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
