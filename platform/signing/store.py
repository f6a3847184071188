"""The running platform's signing keys: the current key per use, shared through the database.

Every node reads the history from the ``signing_keys`` table (cached for a
few seconds, re-read on an unknown key id), signs with the current key of each
use and loads its private half from its own keys directory. A database that
has no key yet for a use (a fresh or just-upgraded instance) publishes the key
files of this node until :meth:`SigningKeys.register` records them, which
``civic init``, ``civic db upgrade`` and every rotation do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from civicdata.db import utcnow
from civicdata.models import SigningKeyRecord
from civicdata.signing.history import KeyHistory, PublishedKey
from civicdata.signing.material import (
    ALGORITHMS,
    USES,
    PrivateKey,
    SigningKeyError,
    generate,
    load_private,
    local_keys,
    public_pem,
    read_private,
    write_key,
)

CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Signer:
    """The private key a use signs with now, and the id every signature carries."""

    kid: str
    use: str
    private: PrivateKey

    @property
    def ed25519(self) -> Ed25519PrivateKey:
        """The private key, for the Ed25519 uses (audit, receipts, releases)."""
        if not isinstance(self.private, Ed25519PrivateKey):
            raise SigningKeyError(f"the {self.use} key {self.kid} is not an Ed25519 key")
        return self.private


class SigningKeys:
    """The keys of one platform instance (thread-safe)."""

    def __init__(self, keys_dir: Path, sessions: sessionmaker[Session]) -> None:
        self.keys_dir = keys_dir
        self.sessions = sessions
        self._lock = threading.Lock()
        self._history: KeyHistory | None = None
        self._read_at = 0.0
        self._private: dict[str, PrivateKey] = {}

    def history(self, *, refresh: bool = False) -> KeyHistory:
        """Every published key: the database's, and this node's for uses it has none of."""
        with self._lock:
            fresh = time.monotonic() - self._read_at < CACHE_SECONDS
            if self._history is None or refresh or not fresh:
                with self.sessions() as session:
                    self._history = self._read(session)
                self._read_at = time.monotonic()
            return self._history

    def current(self, use: str) -> Signer:
        """The signer of ``use`` now (the database says which key; this node holds it)."""
        kid = self.history().current(use).kid
        private = self._private.get(kid)
        if private is None:
            private = self._private[kid] = load_private(self.keys_dir, kid, use)
        return Signer(kid, use, private)

    def register(self) -> list[str]:
        """Record this node's keys for every use the database has none of; return their ids."""
        with self.sessions() as session:
            stored = set(session.scalars(select(SigningKeyRecord.use).distinct()))
            new = [key for key in self._local_history().keys if key.use not in stored]
            session.add_all(_record(key) for key in new)
            session.commit()
        self.history(refresh=True)
        return [key.kid for key in new]

    def rotate(self, use: str) -> Signer:
        """Start signing ``use`` with a new key; the old one stays published, closed now."""
        if use not in ALGORITHMS:
            raise SigningKeyError(f"unknown use {use!r}; one of {', '.join(USES)}")
        self.register()
        key = generate(use)
        with self.sessions() as session:
            session.scalars(
                select(SigningKeyRecord)
                .where(SigningKeyRecord.use == use, SigningKeyRecord.not_after.is_(None))
                .with_for_update()
            ).all()
            now = utcnow()
            kid = write_key(self.keys_dir, use, key)
            session.execute(
                update(SigningKeyRecord)
                .where(SigningKeyRecord.use == use, SigningKeyRecord.not_after.is_(None))
                .values(not_after=now)
            )
            session.add(
                SigningKeyRecord(
                    kid=kid,
                    use=use,
                    algorithm=ALGORITHMS[use],
                    public_key_pem=public_pem(key.public_key()),
                    not_before=now,
                )
            )
            session.commit()
        self.history(refresh=True)
        return Signer(kid, use, key)

    def _read(self, session: Session) -> KeyHistory:
        rows = session.scalars(select(SigningKeyRecord)).all()
        stored = [
            PublishedKey(r.kid, r.use, r.algorithm, r.public_key_pem, r.not_before, r.not_after)
            for r in rows
        ]
        have = {key.use for key in stored}
        if have >= set(USES):
            return KeyHistory.of(stored)
        local = [key for key in self._local_history().keys if key.use not in have]
        return KeyHistory.of([*stored, *local])

    def _local_history(self) -> KeyHistory:
        """This node's key files as a history: each use's newest is current."""
        published = []
        found = local_keys(self.keys_dir)
        for use in USES:
            files = [key for key in found if key.use == use]
            for key, following in zip(files, [*files[1:], None], strict=True):
                public = read_private(key.path, use).public_key()
                published.append(
                    PublishedKey(
                        key.kid,
                        use,
                        ALGORITHMS[use],
                        public_pem(public),
                        key.created,
                        following.created if following is not None else None,
                    )
                )
        return KeyHistory.of(published)


def _record(key: PublishedKey) -> SigningKeyRecord:
    return SigningKeyRecord(
        kid=key.kid,
        use=key.use,
        algorithm=key.algorithm,
        public_key_pem=key.public_key_pem,
        not_before=key.not_before,
        not_after=key.not_after,
    )
