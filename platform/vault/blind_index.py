"""Keyed blind index: look citizens up by email or external reference.

The value is never stored: only HMAC-SHA256 under a key kept apart from the
master keys, over the kind and the normalised value, so equal values of
different kinds (an email and a card number) never collide.

>>> index = BlindIndex(bytes(32))
>>> index.digest("email", " Ana@Example.org ") == index.digest("email", "ana@example.org")
True
"""

from __future__ import annotations

import hashlib
import hmac


class BlindIndex:
    """HMAC-SHA256 digests of (kind, normalised value)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("blind-index key must be at least 256 bits")
        self._key = key

    @staticmethod
    def normalise(kind: str, value: str) -> str:
        value = value.strip()
        return value.lower() if kind == "email" else value

    def digest(self, kind: str, value: str) -> bytes:
        message = f"{kind}\x00{self.normalise(kind, value)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()
