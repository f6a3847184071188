"""Master keys: the key-manager interface and the local development keyring.

A :class:`KeyManager` holds master keys (a key source) and wraps and unwraps
key-encryption keys with them; it never decides which key is primary: the
database does (see :mod:`civicdata.vault.states`). :class:`LocalKeyring` keeps
AES-256 master keys in a JSON file (mode 0600) or ``CIVIC_KEYRING_JSON``; it is
the embedded development default. :mod:`civicdata.vault.pkcs11` keeps them in
an HSM.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicdata.vault.envelope import DecryptionError, open_with, seal


class KeyringError(Exception):
    """The key source is malformed, or a key does not unwrap what it should."""


class KeyUnavailableError(KeyringError):
    """A needed master key is missing here or the key source cannot be reached.

    Transient from a client's point of view (another node, a restarted HSM or
    the next step of a rotation fixes it): the web layer answers 503 with
    Retry-After, and nothing is written.
    """

    def __init__(self, message: str, key_id: str | None = None) -> None:
        super().__init__(message)
        self.key_id = key_id


class KeyManager(Protocol):
    """A source of master keys that wraps and unwraps key-encryption keys."""

    name: str

    def key_ids(self) -> list[str]:
        """The master keys present in this source."""
        ...

    def has_key(self, key_id: str) -> bool:
        """Whether ``key_id`` is present (re-reading the source on a miss)."""
        ...

    def preferred_primary(self) -> str | None:
        """The key to record as primary when the database records none yet."""
        ...

    def create_key(self) -> str:
        """Generate a new master key in the source; return its id."""
        ...

    def destroy(self, key_id: str) -> None:
        """Remove a retired master key from the source."""
        ...

    def wrap(self, key_id: str, plaintext: bytes, ad: bytes) -> bytes:
        """Encrypt ``plaintext`` (a key) under master key ``key_id``."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, ad: bytes) -> bytes:
        """Decrypt a key wrapped under master key ``key_id``."""
        ...


@dataclass(frozen=True, slots=True)
class MasterKey:
    id: str
    material: bytes
    created: str


def new_key_id() -> str:
    """A master key id that sorts by creation time and says nothing else."""
    return f"mk-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


class LocalKeyring:
    """Master keys held in a local file; re-read when asked for a key it lacks.

    Re-reading on a miss lets a running worker pick up a key that ``civic keys
    add`` wrote into the file after the worker started.
    """

    name = "local"

    def __init__(self, keys: list[MasterKey], primary: str, path: Path | None = None) -> None:
        if not keys:
            raise KeyringError("the keyring holds no master key")
        if primary not in {k.id for k in keys}:
            raise KeyringError(f"primary key {primary!r} is not in the keyring")
        self._path = path
        self._lock = threading.Lock()
        self._mtime = self._stat()
        self._set(keys, primary)

    def _set(self, keys: list[MasterKey], primary: str) -> None:
        self._keys = {k.id: k for k in keys}
        # One prepared cipher per master key: set-up is paid once, not per wrap.
        self._ciphers = {k.id: AESGCM(k.material) for k in keys}
        self._primary = primary

    def _stat(self) -> int | None:
        try:
            return None if self._path is None else self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _reload(self) -> None:
        with self._lock:
            mtime = self._stat()
            if self._path is None or mtime is None or mtime == self._mtime:
                return
            fresh = LocalKeyring.from_json(self._path.read_text(encoding="utf-8"), str(self._path))
            self._set(list(fresh._keys.values()), fresh._primary)
            self._mtime = mtime

    def preferred_primary(self) -> str:
        return self._primary

    def key_ids(self) -> list[str]:
        return list(self._keys)

    def has_key(self, key_id: str) -> bool:
        if key_id not in self._keys:
            self._reload()
        return key_id in self._keys

    def _cipher(self, key_id: str) -> AESGCM:
        if not self.has_key(key_id):
            raise KeyUnavailableError(f"master key {key_id!r} is not in the keyring", key_id)
        return self._ciphers[key_id]

    def wrap(self, key_id: str, plaintext: bytes, ad: bytes) -> bytes:
        self._cipher(key_id)
        return seal(self._keys[key_id].material, plaintext, ad)

    def unwrap(self, key_id: str, wrapped: bytes, ad: bytes) -> bytes:
        try:
            return open_with(self._cipher(key_id), wrapped, ad)
        except DecryptionError:
            raise KeyringError(f"key does not unwrap with master key {key_id!r}") from None

    def create_key(self) -> str:
        key = MasterKey(new_key_id(), secrets.token_bytes(32), datetime.now(UTC).isoformat())
        self._set([*self._keys.values(), key], self._primary)
        self._persist()
        return key.id

    def destroy(self, key_id: str) -> None:
        if key_id not in self._keys:
            return
        remaining = [k for k in self._keys.values() if k.id != key_id]
        if not remaining:
            raise KeyringError(f"master key {key_id!r} is the keyring's last key")
        primary = self._primary if self._primary != key_id else remaining[-1].id
        self._set(remaining, primary)
        self._persist()

    def _persist(self) -> None:
        if self._path is not None:
            self.save(self._path)
            self._mtime = self._stat()

    # --- persistence -------------------------------------------------------
    @classmethod
    def from_json(cls, text: str, source: str, path: Path | None = None) -> LocalKeyring:
        try:
            doc = json.loads(text)
            keys = [
                MasterKey(k["id"], base64.b64decode(k["key"], validate=True), k["created"])
                for k in doc["keys"]
            ]
            primary = doc["primary"]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"{source}: malformed keyring ({exc})") from None
        for key in keys:
            if len(key.material) != 32:
                raise KeyringError(f"{source}: master key {key.id!r} is not 256 bits")
        return cls(keys, primary, path)

    @classmethod
    def load(cls, path: Path) -> LocalKeyring:
        """Load from ``path``; ``CIVIC_KEYRING_JSON`` in the environment takes precedence."""
        inline = os.environ.get("CIVIC_KEYRING_JSON")
        if inline:
            return cls.from_json(inline, "CIVIC_KEYRING_JSON")
        try:
            return cls.from_json(path.read_text(encoding="utf-8"), str(path), path)
        except FileNotFoundError:
            raise KeyringError(f"{path}: keyring not found (run `civic init`)") from None

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "primary": self._primary,
                "keys": [
                    {"id": k.id, "created": k.created, "key": base64.b64encode(k.material).decode()}
                    for k in self._keys.values()
                ],
            },
            indent=2,
        )

    def save(self, path: Path) -> None:
        """Write atomically with owner-only permissions."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())
        os.replace(tmp, path)

    @classmethod
    def generate(cls) -> LocalKeyring:
        key = MasterKey(new_key_id(), secrets.token_bytes(32), datetime.now(UTC).isoformat())
        return cls([key], key.id)
