"""The vault: per-citizen data keys, wrapped by their shard's key-encryption key.

A citizen's data key is created on first use, stored only wrapped (with the id
of the key that wraps it) and unwrapped once per batch: :meth:`Vault.ciphers`
returns one prepared cipher per citizen for a whole set of citizens in a single
query. Erasing a citizen deletes their wrapped key (crypto-shredding); rotating
master keys re-wraps the key-encryption keys, never touching data keys or
record ciphertexts. Data keys wrapped directly by a master key (from before
the key-encryption level) still unwrap, and ``rewrap_all`` moves them under
their shard's key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from civicdata.db import utcnow
from civicdata.models import CitizenKey, KeyEncryptionKey
from civicdata.vault.blind_index import BlindIndex
from civicdata.vault.envelope import (
    KEY_BYTES,
    DecryptionError,
    associated_data,
    open_with,
    seal,
    seal_with,
)
from civicdata.vault.kek import KEK_PREFIX, ShardKeys, is_kek_id
from civicdata.vault.keyring import KeyManager, KeyringError
from civicdata.vault.record_shards import record_shard
from civicdata.vault.states import KeyStates


def _wrap_ad(citizen_id: str) -> bytes:
    return associated_data(citizen_id, "citizen_keys", "data_key", citizen_id)


@dataclass(frozen=True, slots=True)
class CitizenCipher:
    """A citizen's unwrapped data key, ready to seal and open many ciphertexts.

    ``shard`` is the citizen's record shard (:mod:`civicdata.vault.record_shards`),
    written beside the blocks sealed with it.
    """

    citizen_id: str
    key: bytes
    shard: int

    def seal(self, plaintext: bytes, table: str, field: str, record_id: str) -> bytes:
        return seal(self.key, plaintext, associated_data(self.citizen_id, table, field, record_id))

    def open(self, blob: bytes, table: str, field: str, record_id: str) -> bytes:
        return open_with(
            AESGCM(self.key), blob, associated_data(self.citizen_id, table, field, record_id)
        )

    def aead(self) -> AESGCM:
        return AESGCM(self.key)


class Vault:
    """Creates, unwraps, re-wraps and shreds citizens' data keys."""

    def __init__(
        self,
        keys: KeyManager,
        sessions: sessionmaker[Session],
        index: BlindIndex,
        *,
        shards: int = 256,
        state_seconds: float = 5.0,
        kek_seconds: float = 300.0,
    ) -> None:
        self.keys = keys
        self.index = index
        self.states = KeyStates(sessions, keys, state_seconds)
        self.shards = ShardKeys(sessions, keys, self.states, index, shards, kek_seconds)

    def prepare(self) -> int:
        """Record the key source's keys if none are, and create missing shard keys."""
        return self.shards.ensure()

    def _wrap(self, citizen_id: str) -> tuple[CitizenCipher, str, bytes]:
        data_key = os.urandom(KEY_BYTES)
        key_id = self.shards.shard_of(citizen_id)
        wrapped = seal_with(self.shards.aead(key_id), data_key, _wrap_ad(citizen_id))
        return CitizenCipher(citizen_id, data_key, self.record_shard(citizen_id)), key_id, wrapped

    def check_unwrap(self) -> None:
        """Raise :class:`KeyUnavailableError` unless this node can unwrap every shard key.

        A release checks it before its engine starts, so a node lacking a master
        key answers 503 and gives the budget back instead of failing half-way.
        """
        self.shards.check_all()

    def record_shard(self, citizen_id: str) -> int:
        """The citizen's record shard (a keyed hash of their id)."""
        return record_shard(self.index, citizen_id)

    def create_key(self, session: Session, citizen_id: str) -> CitizenCipher:
        """Create and store (wrapped) a new data key for a new citizen."""
        cipher, key_id, wrapped = self._wrap(citizen_id)
        session.add(
            CitizenKey(
                citizen_id=citizen_id, master_key_id=key_id, wrapped=wrapped, shard=cipher.shard
            )
        )
        return cipher

    def generate_key(self, citizen_id: str) -> tuple[CitizenCipher, str, bytes]:
        """A new data key and its wrapping (wrapping key id, wrapped), for bulk inserts."""
        return self._wrap(citizen_id)

    def unwrap(self, citizen_id: str, master_key_id: str, wrapped: bytes) -> CitizenCipher:
        """Unwrap one stored data key into a cipher (sealing, opening, re-wrapping)."""
        key = self.unwrap_key(citizen_id, master_key_id, wrapped)
        return CitizenCipher(citizen_id, key, self.record_shard(citizen_id))

    def unwrap_key(self, citizen_id: str, master_key_id: str, wrapped: bytes) -> bytes:
        """Unwrap one stored data key read by the caller's own query (streaming scans).

        ``master_key_id`` is the stored id of the wrapping key: a shard's
        key-encryption key, or a master key for keys not yet re-wrapped.
        """
        ad = _wrap_ad(citizen_id)
        if is_kek_id(master_key_id):
            try:
                key = open_with(self.shards.aead(master_key_id), wrapped, ad)
            except DecryptionError:
                raise KeyringError(f"data key does not unwrap with {master_key_id!r}") from None
        else:
            self.states.check_unwrap(master_key_id)
            key = self.keys.unwrap(master_key_id, wrapped, ad)
        return key

    def cipher(self, session: Session, citizen_id: str) -> CitizenCipher:
        """The citizen's cipher; :class:`KeyError` if their key is gone (erased)."""
        found = self.ciphers(session, [citizen_id])
        if citizen_id not in found:
            raise KeyError(f"no data key for citizen {citizen_id}")
        return found[citizen_id]

    def ciphers(self, session: Session, citizen_ids: Iterable[str]) -> dict[str, CitizenCipher]:
        """Unwrap the data keys of many citizens, once each, in chunked queries."""
        ids = list(dict.fromkeys(citizen_ids))
        out: dict[str, CitizenCipher] = {}
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            rows = session.execute(
                select(CitizenKey.citizen_id, CitizenKey.master_key_id, CitizenKey.wrapped).where(
                    CitizenKey.citizen_id.in_(chunk)
                )
            )
            for citizen_id, key_id, wrapped in rows:
                out[citizen_id] = self.unwrap(citizen_id, key_id, wrapped)
        return out

    def all_ciphers(self, session: Session) -> dict[str, CitizenCipher]:
        """Unwrap every data key (release hot path: one pass, no per-record work)."""
        rows = session.execute(
            select(CitizenKey.citizen_id, CitizenKey.master_key_id, CitizenKey.wrapped)
        )
        return {cid: self.unwrap(cid, kid, wrapped) for cid, kid, wrapped in rows}

    def shred(self, session: Session, citizen_id: str) -> bool:
        """Delete the citizen's wrapped data key; return whether one existed."""
        key = session.get(CitizenKey, citizen_id)
        if key is None:
            return False
        session.delete(key)
        return True

    # --- rotation ----------------------------------------------------------
    def count_not_on_primary(self, session: Session) -> int:
        """Keys a re-wrap would touch: shard keys off the primary, data keys on a master key."""
        legacy = select(func.count()).where(~CitizenKey.master_key_id.startswith(KEK_PREFIX))
        primary = self.states.primary()
        return session.execute(legacy).scalar_one() + self.shards.count_not_on(session, primary)

    def rewrap_all(
        self,
        session: Session,
        batch_size: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Bring every key under the primary master key, committing per batch.

        Data keys still wrapped directly by a master key move under their
        shard's key; then every shard key off the primary is re-wrapped.
        Record ciphertexts are untouched. Safe to interrupt and resume.
        """
        done = 0
        while True:
            batch = session.execute(
                select(CitizenKey.citizen_id, CitizenKey.master_key_id, CitizenKey.wrapped)
                .where(~CitizenKey.master_key_id.startswith(KEK_PREFIX))
                .order_by(CitizenKey.citizen_id)
                .limit(batch_size)
            ).all()
            if not batch:
                break
            for citizen_id, key_id, wrapped in batch:
                cipher = self.unwrap(citizen_id, key_id, wrapped)
                kek = self.shards.shard_of(citizen_id)
                session.execute(
                    update(CitizenKey)
                    .where(CitizenKey.citizen_id == citizen_id, CitizenKey.master_key_id == key_id)
                    .values(
                        master_key_id=kek,
                        wrapped=seal_with(self.shards.aead(kek), cipher.key, _wrap_ad(citizen_id)),
                        rewrapped_at=utcnow(),
                    )
                )
            session.commit()
            done += len(batch)
            if progress is not None:
                progress(len(batch))
        return done + self.shards.rewrap(batch_size, progress)

    def keys_using(self, session: Session, master_key_id: str) -> int:
        """How many data keys ``master_key_id`` wraps, directly or through shard keys."""
        direct = select(func.count()).where(CitizenKey.master_key_id == master_key_id)
        through = (
            select(func.count())
            .select_from(CitizenKey)
            .join(KeyEncryptionKey, KeyEncryptionKey.id == CitizenKey.master_key_id)
            .where(KeyEncryptionKey.master_key_id == master_key_id)
        )
        return session.execute(direct).scalar_one() + session.execute(through).scalar_one()
