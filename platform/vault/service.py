"""The vault: per-citizen data keys, wrapped by the key manager, in the database.

A citizen's data key is created on first use, stored only wrapped (with the
master key's id) and unwrapped once per batch: :meth:`Vault.ciphers` returns one
prepared cipher per citizen for a whole set of citizens in a single query.
Erasing a citizen deletes the wrapped key (crypto-shredding); rotating master
keys re-wraps data keys without touching record ciphertexts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicdata.db import utcnow
from civicdata.models import CitizenKey
from civicdata.vault.envelope import KEY_BYTES, associated_data, open_with, seal
from civicdata.vault.keyring import KeyManager


def _wrap_ad(citizen_id: str) -> bytes:
    return associated_data(citizen_id, "citizen_keys", "data_key", citizen_id)


@dataclass(frozen=True, slots=True)
class CitizenCipher:
    """A citizen's unwrapped data key, ready to seal and open many ciphertexts."""

    citizen_id: str
    key: bytes

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

    def __init__(self, keys: KeyManager) -> None:
        self.keys = keys

    def create_key(self, session: Session, citizen_id: str) -> CitizenCipher:
        """Create and store (wrapped) a new data key for a new citizen."""
        data_key = os.urandom(KEY_BYTES)
        key_id, wrapped = self.keys.wrap(data_key, _wrap_ad(citizen_id))
        session.add(CitizenKey(citizen_id=citizen_id, master_key_id=key_id, wrapped=wrapped))
        return CitizenCipher(citizen_id, data_key)

    def generate_key(self, citizen_id: str) -> tuple[CitizenCipher, str, bytes]:
        """A new data key and its wrapping (master key id, wrapped), for bulk inserts."""
        data_key = os.urandom(KEY_BYTES)
        key_id, wrapped = self.keys.wrap(data_key, _wrap_ad(citizen_id))
        return CitizenCipher(citizen_id, data_key), key_id, wrapped

    def unwrap(self, citizen_id: str, master_key_id: str, wrapped: bytes) -> CitizenCipher:
        """Unwrap one stored data key read by the caller's own query (streaming scans)."""
        return CitizenCipher(
            citizen_id, self.keys.unwrap(master_key_id, wrapped, _wrap_ad(citizen_id))
        )

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
                key = self.keys.unwrap(key_id, wrapped, _wrap_ad(citizen_id))
                out[citizen_id] = CitizenCipher(citizen_id, key)
        return out

    def all_ciphers(self, session: Session) -> dict[str, CitizenCipher]:
        """Unwrap every data key (release hot path: one pass, no per-record work)."""
        rows = session.execute(
            select(CitizenKey.citizen_id, CitizenKey.master_key_id, CitizenKey.wrapped)
        )
        return {
            cid: CitizenCipher(cid, self.keys.unwrap(kid, wrapped, _wrap_ad(cid)))
            for cid, kid, wrapped in rows
        }

    def shred(self, session: Session, citizen_id: str) -> bool:
        """Delete the citizen's wrapped data key; return whether one existed."""
        key = session.get(CitizenKey, citizen_id)
        if key is None:
            return False
        session.delete(key)
        return True

    def count_not_on_primary(self, session: Session) -> int:
        query = select(func.count()).where(CitizenKey.master_key_id != self.keys.primary_id)
        return session.execute(query).scalar_one()

    def rewrap_all(
        self,
        session: Session,
        batch_size: int = 1000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Re-wrap every data key not on the primary master key, committing per batch.

        Record ciphertexts are untouched: only the wrapping of each data key
        changes. Safe to interrupt and resume.
        """
        primary = self.keys.primary_id
        done = 0
        while True:
            batch = session.execute(
                select(CitizenKey.citizen_id, CitizenKey.master_key_id, CitizenKey.wrapped)
                .where(CitizenKey.master_key_id != primary)
                .order_by(CitizenKey.citizen_id)
                .limit(batch_size)
            ).all()
            if not batch:
                return done
            for citizen_id, key_id, wrapped in batch:
                ad = _wrap_ad(citizen_id)
                new_id, new_wrapped = self.keys.wrap(self.keys.unwrap(key_id, wrapped, ad), ad)
                session.execute(
                    update(CitizenKey)
                    .where(CitizenKey.citizen_id == citizen_id, CitizenKey.master_key_id == key_id)
                    .values(master_key_id=new_id, wrapped=new_wrapped, rewrapped_at=utcnow())
                )
            session.commit()
            done += len(batch)
            if progress is not None:
                progress(len(batch))

    def keys_using(self, session: Session, master_key_id: str) -> int:
        """How many data keys are still wrapped by ``master_key_id``."""
        query = select(func.count()).where(CitizenKey.master_key_id == master_key_id)
        return session.execute(query).scalar_one()
