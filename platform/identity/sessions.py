"""Server-side portal sessions: idle and absolute timeouts, ended everywhere at once.

The browser holds a random session id; the database holds only its SHA-256,
the account and the account's session version at sign-in. A session is valid
while it is younger than the absolute limit, was seen within the idle limit,
and the account's session version has not moved on (sign-out everywhere,
password change).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from civicdata.config import Config
from civicdata.identity.models import Account, PortalSession

TOUCH_EVERY = timedelta(seconds=60)  # refresh last_seen_at at most once a minute


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls, config: Config) -> SessionLimits:
        return cls(
            idle=timedelta(minutes=config.session_idle_minutes),
            absolute=timedelta(hours=config.session_absolute_hours),
        )


def start_session(session: Session, account: Account, now: datetime) -> str:
    """Open a new portal session; returns the id to put in the cookie."""
    session_id = secrets.token_urlsafe(32)
    session.add(
        PortalSession(
            id_hash=_digest(session_id),
            account_id=account.id,
            session_version=account.session_version,
            created_at=now,
            last_seen_at=now,
        )
    )
    return session_id


def resume_session(
    session: Session, session_id: str, limits: SessionLimits, now: datetime
) -> tuple[Account, PortalSession] | None:
    """The signed-in account, or ``None`` if the session is unknown, expired or ended."""
    record = session.get(PortalSession, _digest(session_id))
    if record is None:
        return None
    account = session.get(Account, record.account_id)
    expired = (
        now - record.created_at > limits.absolute
        or now - record.last_seen_at > limits.idle
        or account is None
        or account.disabled_at is not None
        or account.session_version != record.session_version
    )
    if expired or account is None:
        session.delete(record)
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
    return account, record


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(PortalSession).where(PortalSession.id_hash == _digest(session_id)))


def end_all_sessions(session: Session, account: Account) -> None:
    """Sign the account out everywhere."""
    account.session_version += 1
    session.execute(delete(PortalSession).where(PortalSession.account_id == account.id))
