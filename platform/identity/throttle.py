"""Login throttling stored in the database, so it holds across server processes.

After ``login_max_failures`` failures for one login within the sliding window
of ``login_window_seconds``, further attempts are refused until the oldest of
those failures leaves the window: a throttle, never a permanent lock-out.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from civicdata.config import Config
from civicdata.identity.models import LoginFailure


class LoginThrottle:
    def __init__(self, config: Config) -> None:
        self.max_failures = config.login_max_failures
        self.window = timedelta(seconds=config.login_window_seconds)

    def retry_after(self, session: Session, login_digest: bytes, now: datetime) -> int | None:
        """Seconds to wait before the next attempt is allowed, or ``None`` if allowed now."""
        since = now - self.window
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.login_digest == login_digest, LoginFailure.at > since
            )
        ).one()
        if count < self.max_failures:
            return None
        return max(1, math.ceil((oldest + self.window - now).total_seconds()))

    def record_failure(self, session: Session, login_digest: bytes, now: datetime) -> None:
        session.add(LoginFailure(login_digest=login_digest, at=now))
        # Old failures no longer count: keep the table small.
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.login_digest == login_digest, LoginFailure.at <= now - self.window
            )
        )

    def clear(self, session: Session, login_digest: bytes) -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.login_digest == login_digest))
