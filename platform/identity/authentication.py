"""Checking an email and password: throttling, timing, rehash and audit.

Unknown emails cost as much time as known ones and get the same answer.
Failures and throttled attempts are committed at once in their own
transaction (with the audit event), so they count across server processes
and survive the rollback of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from civicdata.audit import record_event, record_event_committed
from civicdata.context import Platform
from civicdata.db import transaction
from civicdata.identity.accounts import find_account, login_digest
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.models import Account
from civicdata.identity.passwords import Passwords
from civicdata.identity.throttle import LoginThrottle


@dataclass(frozen=True)
class LoginOutcome:
    status: Literal["ok", "failed", "throttled"]
    account: Account | None = None
    retry_after: int | None = None


def login_ref(digest: bytes) -> str:
    """A short pseudonymous reference to a login for the audit log (keyed digest)."""
    return digest.hex()[:16]


def authenticate(
    platform: Platform,
    session: Session,
    passwords: Passwords,
    email: str,
    password: str,
    now: datetime,
) -> LoginOutcome:
    """Check the credentials; on success the account is loaded in ``session`` (not committed)."""
    digest = login_digest(platform.keys.blind_index, email)
    throttle = LoginThrottle(platform.config)
    wait = throttle.retry_after(session, digest, now)
    if wait is not None:
        record_event_committed(
            platform.sessions,
            actor="anonymous",
            action="login",
            decision="throttled",
            login_ref=login_ref(digest),
            retry_after=wait,
        )
        return LoginOutcome("throttled", retry_after=wait)
    account = find_account(session, platform.keys.blind_index, email)
    result = passwords.verify(account.password_hash if account else None, password)
    if account is None or not result.ok:
        with transaction(platform.sessions) as own:
            throttle.record_failure(own, digest, now)
            record_event(
                own,
                actor=actor_of(account),
                action="login",
                decision="failed",
                login_ref=login_ref(digest),
            )
        return LoginOutcome("failed")
    if result.new_hash:
        account.password_hash = result.new_hash
    throttle.clear(session, digest)
    record_event(
        session,
        actor=actor_of(account),
        action="login",
        role=account.role,
        rehashed=bool(result.new_hash),
    )
    return LoginOutcome("ok", account=account)
