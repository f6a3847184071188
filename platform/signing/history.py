"""The published key history, as a verifier reads it: pick a key by id, refuse another use.

The same document is served at ``GET /.well-known/civic-keys`` and written by
``civic keys signing-history -o FILE`` for offline use::

    {"format": "civic-keys/v1",
     "keys": [{"kid": "audit-…", "use": "audit", "alg": "Ed25519",
               "public_key_pem": "-----BEGIN PUBLIC KEY-----…",
               "not_before": "2026-12-02T05:40:00Z", "not_after": null}, …]}

``not_after`` is empty for the key each use signs with now. Keys are never
removed from the history, so every signature ever made stays verifiable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from civicdata.signing.material import ALGORITHMS, PublicKey, SigningKeyError, key_id

HISTORY_FORMAT = "civic-keys/v1"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """One public key with its use and validity period."""

    kid: str
    use: str
    algorithm: str
    public_key_pem: str
    not_before: datetime
    not_after: datetime | None

    @property
    def public_key(self) -> PublicKey:
        key = load_pem_public_key(self.public_key_pem.encode("ascii"))
        if not isinstance(key, PublicKey):
            raise SigningKeyError(f"key {self.kid} is neither Ed25519 nor RSA")
        return key

    def as_dict(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "use": self.use,
            "alg": self.algorithm,
            "public_key_pem": self.public_key_pem,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
        }

    @classmethod
    def from_dict(cls, item: Any) -> PublishedKey:
        """Read one published key, checking that its id is its use and its key's digest."""
        if not isinstance(item, dict):
            raise SigningKeyError("a published key must be a JSON object")
        try:
            use, kid = str(item["use"]), str(item["kid"])
            key = cls(
                kid=kid,
                use=use,
                algorithm=str(item["alg"]),
                public_key_pem=str(item["public_key_pem"]),
                not_before=datetime.fromisoformat(str(item["not_before"])),
                not_after=None
                if item.get("not_after") is None
                else datetime.fromisoformat(str(item["not_after"])),
            )
        except (KeyError, ValueError) as exc:
            raise SigningKeyError(f"malformed published key: {exc}") from None
        if ALGORITHMS.get(use) != key.algorithm:
            raise SigningKeyError(f"key {kid}: {key.algorithm!r} is not the algorithm of {use!r}")
        try:
            public = key.public_key
        except ValueError as exc:
            raise SigningKeyError(f"key {kid}: unreadable public key: {exc}") from None
        if key_id(use, public) != kid:
            raise SigningKeyError(f"key {kid}: its id does not match its public key and use")
        return key


@dataclass(frozen=True, slots=True)
class KeyHistory:
    """Every signing key ever used, oldest first."""

    keys: tuple[PublishedKey, ...]

    def of_use(self, use: str) -> list[PublishedKey]:
        return [key for key in self.keys if key.use == use]

    def current(self, use: str) -> PublishedKey:
        """The key ``use`` signs with now: open-ended, the latest to start."""
        open_keys = [key for key in self.of_use(use) if key.not_after is None]
        if not open_keys:
            raise SigningKeyError(f"no current {use} signing key (run `civic init`)")
        return max(open_keys, key=lambda key: (key.not_before, key.kid))

    def get(self, kid: str, use: str) -> PublishedKey:
        """The key ``kid``, refused unless it is published for ``use``."""
        for key in self.keys:
            if key.kid == kid:
                if key.use != use:
                    raise SigningKeyError(
                        f"key {kid} is published for {key.use}, not {use}: "
                        f"a {key.use} key must not sign {use}"
                    )
                return key
        raise SigningKeyError(f"key {kid} is not in the published key history")

    def ed25519(self, kid: str, use: str) -> Ed25519PublicKey:
        key = self.get(kid, use).public_key
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"key {kid} is not an Ed25519 key")
        return key

    def use_of(self, kid: str) -> str | None:
        return next((key.use for key in self.keys if key.kid == kid), None)

    def document(self) -> dict[str, Any]:
        return {"format": HISTORY_FORMAT, "keys": [key.as_dict() for key in self.keys]}

    @classmethod
    def of(cls, keys: Iterable[PublishedKey]) -> KeyHistory:
        return cls(tuple(sorted(keys, key=lambda key: (key.not_before, key.kid))))

    @classmethod
    def from_document(cls, document: Any) -> KeyHistory:
        if not isinstance(document, dict) or document.get("format") != HISTORY_FORMAT:
            raise SigningKeyError(f"not a key history: expected format {HISTORY_FORMAT!r}")
        items = document.get("keys")
        if not isinstance(items, list):
            raise SigningKeyError("the key history has no list of keys")
        return cls.of(PublishedKey.from_dict(item) for item in items)

    @classmethod
    def load(cls, path: Path) -> KeyHistory:
        """Read a history file (as served at ``/.well-known/civic-keys``)."""
        try:
            return cls.from_document(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            if isinstance(exc, SigningKeyError):
                raise
            raise SigningKeyError(f"cannot read key history {path}: {exc}") from None
