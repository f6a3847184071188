"""The history of signing keys: every public key the platform ever signed with.

One row per key and use (audit log, consent receipts, releases, OIDC ID
tokens). The private half never enters the database: it stays in the keys
directory of each node, in a file named after the key id. A key is the current
one for its use while ``not_after`` is empty; rotating closes it and opens the
next, so every node, reading the same table, signs with the same key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base


class SigningKeyRecord(Base):
    """A published signing key: its id, use, algorithm, public PEM and validity period."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("use IN ('audit', 'receipts', 'releases', 'oidc')", name="use"),
        CheckConstraint("algorithm IN ('Ed25519', 'RS256')", name="algorithm"),
        Index("ix_signing_keys_use_not_before", "use", "not_before"),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    use: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key_pem: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime | None]
