"""Citizens: a random pseudonym, encrypted identity and a wrapped data key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow


class Citizen(Base):
    """A data subject, known to the platform only by a random pseudonym.

    ``registered`` is false for subjects created by a data source who have not
    claimed an account. ``erased_at`` marks a tombstone: the key is shredded and
    the personal data gone, but consent history keeps its pseudonymous id.
    """

    __tablename__ = "citizens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered: Mapped[bool] = mapped_column(default=False)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    erased_at: Mapped[datetime | None]


class CitizenKey(Base):
    """A citizen's data key, stored only wrapped by a master key."""

    __tablename__ = "citizen_keys"

    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True
    )
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    # The citizen's record shard (civicdata.vault.record_shards): a release's shard
    # task reads the keys of its shards only.
    shard: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rewrapped_at: Mapped[datetime | None]


class CitizenLookup(Base):
    """Keyed blind index: HMAC of (kind, value) -> citizen, never the value itself."""

    __tablename__ = "citizen_lookups"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
