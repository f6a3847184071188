"""Master-key states and key-encryption keys: what every process agrees on.

The database records which master key is primary (wraps new key-encryption
keys), which may still unwrap (decrypt-only) and which are pending or retired,
never the keys' material. Key-encryption keys (one per citizen-hash shard) are
stored only wrapped by a master key; they wrap the citizens' data keys.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow

KEY_STATES = ("pending", "primary", "decrypt-only", "retired")


class MasterKeyState(Base):
    """One master key's life cycle: pending -> primary -> decrypt-only -> retired."""

    __tablename__ = "master_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    demoted_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class KeyEncryptionKey(Base):
    """The key of one citizen-hash shard, wrapped by the master key it names."""

    __tablename__ = "key_encryption_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rewrapped_at: Mapped[datetime | None]
