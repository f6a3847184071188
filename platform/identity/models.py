"""Tables of accounts, portal sessions and failed sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow

ROLES = ("citizen", "analyst", "auditor", "operator")


class Account(Base):
    """Someone who signs in to the portal.

    ``login_digest`` is the blind-index digest of the email (kind ``email``),
    never the email itself, so mail goes to the address the owner types (or,
    for a citizen, the sealed address on the pseudonym). A citizen account points at its citizen pseudonym;
    an analyst belongs to a department. Staff accounts carry a ``display_name``
    so that auditors can tell who acted; citizens never do (they stay
    pseudonymous, and the database refuses a name on a citizen's account).
    Raising ``session_version`` ends every portal session of the account
    (sign-out everywhere, password change).
    """

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("citizen_id IS NULL OR display_name IS NULL", name="staff_name"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    login_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    citizen_id: Mapped[str | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), unique=True
    )
    department: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(120))
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # When the owner proved they read mail at the address; until then a
    # self-registered citizen cannot sign in.
    email_verified_at: Mapped[datetime | None]
    # The portal language the owner chose with the switch (``en``, ``ca``, ``es``);
    # ``None`` until they choose, when the browser's preference decides.
    locale: Mapped[str | None] = mapped_column(String(8))


class PortalSession(Base):
    """A signed-in browser: the cookie carries a random id, the table its SHA-256."""

    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """One failed sign-in for a login (blind-index digest), for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login_digest: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
