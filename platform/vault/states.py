"""Which master key is primary: read from the database, cached briefly per process.

Every process agrees on the master keys' states because they live in the
``master_keys`` table. A process caches them for a few seconds and re-reads
them on a miss (an unknown key id, a key in a state it does not expect) or
when the cache is older than its time to live. A wrap under the primary is
confirmed in the writing transaction (:meth:`KeyStates.confirm_primary`), so a
process with a stale cache cannot commit anything wrapped under a key that was
demoted or retired meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicdata.db import insert_or_skip, utcnow
from civicdata.models import MasterKeyState
from civicdata.vault.keyring import KeyManager, KeyUnavailableError

PENDING, PRIMARY, DECRYPT_ONLY, RETIRED = "pending", "primary", "decrypt-only", "retired"
DECRYPTING = (PRIMARY, DECRYPT_ONLY)
T = TypeVar("T")


class StalePrimaryError(Exception):
    """The key a wrap used stopped being primary before the wrap committed."""


class KeyStates:
    """The master keys' states as recorded in the database, cached for ``ttl`` seconds."""

    def __init__(self, sessions: sessionmaker[Session], manager: KeyManager, ttl: float) -> None:
        self._sessions = sessions
        self._manager = manager
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cached: dict[str, str] = {}
        self._loaded = float("-inf")

    def invalidate(self) -> None:
        self._loaded = float("-inf")

    def states(self, fresh: bool = False) -> dict[str, str]:
        """Key id -> state; re-read when ``fresh`` or older than the time to live."""
        if fresh or time.monotonic() - self._loaded > self._ttl:
            with self._lock:
                with self._sessions() as session:
                    read = _read(session)
                    if not read:
                        read = self._adopt(session)
                self._cached, self._loaded = read, time.monotonic()
        return self._cached

    def _adopt(self, session: Session) -> dict[str, str]:
        """Record the key source's keys when the database records none (a new instance)."""
        preferred = self._manager.preferred_primary()
        now = utcnow()
        rows = [
            {
                "id": key_id,
                "state": PRIMARY if key_id == preferred else DECRYPT_ONLY,
                "added_at": now,
                "promoted_at": now if key_id == preferred else None,
            }
            for key_id in self._manager.key_ids()
        ]
        if rows and preferred is not None:
            table = MasterKeyState.__table__
            session.execute(insert_or_skip(session, table).values(rows).on_conflict_do_nothing())
            session.commit()
        return _read(session)

    def primary(self) -> str:
        """The recorded primary, which must be in this process's key source."""
        key_id = _primary_of(self.states())
        if key_id is None:
            key_id = _primary_of(self.states(fresh=True))
        if key_id is None:
            raise KeyUnavailableError("no master key is recorded as primary")
        if not self._manager.has_key(key_id):
            raise KeyUnavailableError(
                f"primary master key {key_id!r} is not in this node's key source; "
                "add it here (it stays unusable for wrapping until then)",
                key_id,
            )
        return key_id

    def check_unwrap(self, key_id: str) -> None:
        """Refuse to unwrap under a key that is neither primary nor decrypt-only."""
        if self.states().get(key_id) in DECRYPTING:
            return
        state = self.states(fresh=True).get(key_id)
        if state not in DECRYPTING:
            raise KeyUnavailableError(
                f"master key {key_id!r} is {state or 'not recorded'}; it may not unwrap", key_id
            )

    def confirm_primary(self, session: Session, key_id: str) -> None:
        """Lock ``key_id``'s state row and check it is still primary.

        Call after the write that records the wrap and before the commit: on
        PostgreSQL the shared row lock makes ``promote`` and ``retire`` wait for
        this transaction; on SQLite the write already holds the database lock.
        """
        state = session.execute(
            select(MasterKeyState.state)
            .where(MasterKeyState.id == key_id)
            .with_for_update(read=True)
        ).scalar_one_or_none()
        if state != PRIMARY:
            self.invalidate()
            raise StalePrimaryError(key_id)

    def under_primary(self, write: Callable[[str], T], attempts: int = 5) -> T:
        """Run ``write(primary)``, again with a re-read primary if it went stale."""
        for _ in range(attempts):
            try:
                return write(self.primary())
            except StalePrimaryError:
                continue
        raise KeyUnavailableError("the primary master key changed during every attempt")


def _read(session: Session) -> dict[str, str]:
    return dict(session.execute(select(MasterKeyState.id, MasterKeyState.state)).all())


def _primary_of(states: dict[str, str]) -> str | None:
    return next((key_id for key_id, state in states.items() if state == PRIMARY), None)
