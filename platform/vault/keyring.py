"""Master keys and the key-management interface.

Data keys are wrapped by a master key. :class:`KeyManager` is the interface an
external KMS can implement later; :class:`LocalKeyring` keeps AES-256 master
keys in a JSON file (mode 0600) or an environment variable, one of them primary.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicdata.vault.envelope import DecryptionError, open_with, seal


class KeyringError(Exception):
    """The keyring is missing, malformed or lacks a needed key."""


class KeyManager(Protocol):
    """Wraps and unwraps data keys; the only thing that ever sees master keys."""

    @property
    def primary_id(self) -> str: ...

    def key_ids(self) -> list[str]: ...

    def wrap(self, data_key: bytes, ad: bytes) -> tuple[str, bytes]:
        """Wrap with the primary master key; return its id and the wrapped key."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, ad: bytes) -> bytes:
        """Unwrap a data key wrapped by master key ``key_id``."""
        ...


@dataclass(frozen=True, slots=True)
class MasterKey:
    id: str
    material: bytes
    created: str


class LocalKeyring:
    """Master keys held locally; the last added key is primary."""

    def __init__(self, keys: list[MasterKey], primary: str) -> None:
        if not keys:
            raise KeyringError("the keyring holds no master key")
        self._keys = {k.id: k for k in keys}
        # One prepared cipher per master key: unwrapping 100,000 data keys in a
        # release must not pay the cipher set-up 100,000 times.
        self._ciphers = {k.id: AESGCM(k.material) for k in keys}
        if primary not in self._keys:
            raise KeyringError(f"primary key {primary!r} is not in the keyring")
        self._primary = primary

    @property
    def primary_id(self) -> str:
        return self._primary

    def key_ids(self) -> list[str]:
        return list(self._keys)

    def wrap(self, data_key: bytes, ad: bytes) -> tuple[str, bytes]:
        return self._primary, seal(self._keys[self._primary].material, data_key, ad)

    def unwrap(self, key_id: str, wrapped: bytes, ad: bytes) -> bytes:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyringError(f"master key {key_id!r} is not in the keyring")
        try:
            return open_with(cipher, wrapped, ad)
        except DecryptionError:
            raise KeyringError(f"data key does not unwrap with master key {key_id!r}") from None

    # --- persistence -------------------------------------------------------
    @classmethod
    def from_json(cls, text: str, source: str) -> LocalKeyring:
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
        return cls(keys, primary)

    @classmethod
    def load(cls, path: Path) -> LocalKeyring:
        """Load from ``path``; ``CIVIC_KEYRING_JSON`` in the environment takes precedence."""
        inline = os.environ.get("CIVIC_KEYRING_JSON")
        if inline:
            return cls.from_json(inline, "CIVIC_KEYRING_JSON")
        try:
            return cls.from_json(path.read_text(encoding="utf-8"), str(path))
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
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())
        os.replace(tmp, path)

    def with_new_primary(self) -> LocalKeyring:
        """A keyring with a fresh primary key added; older keys stay for unwrapping."""
        now = datetime.now(UTC)
        key = MasterKey(
            f"mk-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            secrets.token_bytes(32),
            now.isoformat(),
        )
        return LocalKeyring([*self._keys.values(), key], key.id)

    def without(self, key_id: str) -> LocalKeyring:
        """A keyring with ``key_id`` retired (removed); the primary cannot be retired."""
        if key_id == self._primary:
            raise KeyringError("the primary key cannot be retired; rotate first")
        if key_id not in self._keys:
            raise KeyringError(f"master key {key_id!r} is not in the keyring")
        return LocalKeyring([k for k in self._keys.values() if k.id != key_id], self._primary)

    @classmethod
    def generate(cls) -> LocalKeyring:
        now = datetime.now(UTC)
        key = MasterKey(
            f"mk-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
            secrets.token_bytes(32),
            now.isoformat(),
        )
        return cls([key], key.id)
