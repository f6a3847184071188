"""Key-encryption keys: one per citizen-hash shard, wrapped by the primary master key.

A citizen's shard is a keyed hash of their id modulo the number of shards, so
shards say nothing about who is in them. Master keys only ever wrap these few
hundred keys: a release asks the key manager for at most one unwrap per shard
(unwrapped keys are cached per process for a short while), and re-wrapping
under a new master key touches only these rows, never the citizens' data keys.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from civicdata.db import insert_or_skip, utcnow
from civicdata.models import KeyEncryptionKey
from civicdata.vault.blind_index import BlindIndex
from civicdata.vault.envelope import KEY_BYTES, associated_data
from civicdata.vault.keyring import KeyManager, KeyUnavailableError
from civicdata.vault.states import KeyStates

KEK_PREFIX = "kek-"
_table = KeyEncryptionKey.__table__


def kek_id(shard: int) -> str:
    return f"{KEK_PREFIX}{shard:05d}"


def is_kek_id(key_id: str) -> bool:
    return key_id.startswith(KEK_PREFIX)


def kek_ad(key_id: str) -> bytes:
    return associated_data("-", "key_encryption_keys", "key", key_id)


class ShardKeys:
    """Creates, caches and re-wraps the key-encryption keys of every shard."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        manager: KeyManager,
        states: KeyStates,
        index: BlindIndex,
        shards: int,
        cache_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._manager = manager
        self._states = states
        self._index = index
        self.shards = shards
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, AESGCM] = {}
        self._loaded = float("-inf")

    def shard_of(self, citizen_id: str) -> str:
        """The id of the key-encryption key of ``citizen_id``'s shard."""
        digest = self._index.digest("kek-shard", citizen_id)
        return kek_id(int.from_bytes(digest[:8], "big") % self.shards)

    def aead(self, key_id: str) -> AESGCM:
        """The unwrapped key-encryption key ``key_id``, ready to wrap or unwrap data keys."""
        if time.monotonic() - self._loaded > self._cache_seconds:
            with self._lock:
                self._cache, self._loaded = {}, time.monotonic()
        cipher = self._cache.get(key_id)
        if cipher is None:
            with self._lock:
                self._load(key_id)
                if key_id not in self._cache:
                    self.ensure([key_id])
                    self._load(key_id)
            cipher = self._cache.get(key_id)
            if cipher is None:
                raise KeyUnavailableError(f"key-encryption key {key_id!r} does not exist", key_id)
        return cipher

    def check_all(self) -> None:
        """Raise :class:`KeyUnavailableError` unless every stored shard key unwraps here."""
        with self._sessions() as session:
            key_ids = list(session.scalars(select(_table.c.id)))
        for key_id in key_ids:
            self.aead(key_id)

    def forget(self) -> None:
        """Drop every unwrapped shard key; the next use unwraps them again."""
        with self._lock:
            self._cache, self._loaded = {}, time.monotonic()

    def _load(self, wanted: str) -> None:
        """Unwrap every stored key-encryption key not yet cached (one query).

        A key whose master key is unavailable here is skipped, unless it is
        the one ``wanted``: the others can still serve their shards.
        """
        with self._sessions() as session:
            rows = session.execute(
                select(_table.c.id, _table.c.master_key_id, _table.c.wrapped)
            ).all()
        for key_id, master_key_id, wrapped in rows:
            if key_id in self._cache:
                continue
            try:
                self._states.check_unwrap(master_key_id)
                key = self._manager.unwrap(master_key_id, wrapped, kek_ad(key_id))
            except KeyUnavailableError:
                if key_id == wanted:
                    raise
                continue
            self._cache[key_id] = AESGCM(key)

    def ensure(self, key_ids: Iterable[str] | None = None) -> int:
        """Create the missing key-encryption keys (every shard's by default); return how many."""
        wanted = list(key_ids) if key_ids is not None else [kek_id(s) for s in range(self.shards)]
        return self._states.under_primary(lambda primary: self._create(primary, wanted))

    def _create(self, primary: str, wanted: list[str]) -> int:
        with self._sessions() as session:
            present = set(session.scalars(select(_table.c.id).where(_table.c.id.in_(wanted))))
            missing = [key_id for key_id in wanted if key_id not in present]
            if not missing:
                return 0
            now = utcnow()
            rows = [
                {
                    "id": key_id,
                    "master_key_id": primary,
                    "wrapped": self._manager.wrap(primary, os.urandom(KEY_BYTES), kek_ad(key_id)),
                    "created_at": now,
                }
                for key_id in missing
            ]
            insert = insert_or_skip(session, _table).values(rows).on_conflict_do_nothing()
            session.execute(insert)
            self._states.confirm_primary(session, primary)
            session.commit()
        return len(missing)

    def count_not_on(self, session: Session, master_key_id: str) -> int:
        query = select(func.count()).where(_table.c.master_key_id != master_key_id)
        return session.execute(query).scalar_one()

    def rewrap(self, batch_size: int, progress: Callable[[int], None] | None = None) -> int:
        """Re-wrap every key-encryption key not on the primary, one transaction per batch.

        The keys themselves do not change, so data keys wrapped by them stay
        valid throughout. Safe to interrupt and resume.
        """
        done = 0
        while True:
            count = self._states.under_primary(lambda p: self._rewrap_batch(p, batch_size))
            if not count:
                return done
            done += count
            if progress is not None:
                progress(count)

    def _rewrap_batch(self, primary: str, batch_size: int) -> int:
        with self._sessions() as session:
            rows = session.execute(
                select(_table.c.id, _table.c.master_key_id, _table.c.wrapped)
                .where(_table.c.master_key_id != primary)
                .order_by(_table.c.id)
                .limit(batch_size)
                .with_for_update()
            ).all()
            if not rows:
                return 0
            for key_id, old, wrapped in rows:
                self._states.check_unwrap(old)
                key = self._manager.unwrap(old, wrapped, kek_ad(key_id))
                session.execute(
                    update(_table)
                    .where(_table.c.id == key_id, _table.c.master_key_id == old)
                    .values(
                        master_key_id=primary,
                        wrapped=self._manager.wrap(primary, key, kek_ad(key_id)),
                        rewrapped_at=utcnow(),
                    )
                )
            self._states.confirm_primary(session, primary)
            session.commit()
            return len(rows)
