"""High-entropy secrets and their stored form.

Client secrets, authorization codes, access and refresh tokens are random
values of at least 256 bits; the database keeps only their SHA-256, which is
enough for values that cannot be guessed (no slow hash needed), and lets a
lookup find them by equality.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random value of ``nbytes`` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, stored: str) -> bool:
    """Constant-time comparison of ``value`` with a stored digest."""
    return hmac.compare_digest(digest(value), stored)
