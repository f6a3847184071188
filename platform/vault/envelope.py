"""The on-disk ciphertext format: AES-256-GCM with bound associated data.

A ciphertext is ``version (1 byte) || nonce (12 bytes) || ciphertext || tag``.
The associated data names the citizen, the table (or dataset), the field and
the record, so a ciphertext copied to another place fails to decrypt.

>>> key = bytes(32)
>>> ad = associated_data("c1", "citizens", "email", "c1")
>>> open_sealed(key, seal(key, b"hi", ad), ad)
b'hi'
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A ciphertext failed authentication: wrong key, wrong place or tampered."""


def associated_data(citizen_id: str, table: str, field: str, record_id: str) -> bytes:
    """Canonical associated data binding a ciphertext to where it belongs."""
    parts = (f"civic/v{FORMAT_VERSION}", citizen_id, table, field, record_id)
    for part in parts:
        if "\x00" in part:
            raise ValueError("associated data parts must not contain NUL")
    return "\x00".join(parts).encode("utf-8")


def seal(key: bytes, plaintext: bytes, ad: bytes, nonce: bytes | None = None) -> bytes:
    """Encrypt with a fresh random 96-bit nonce (``nonce`` only for known-answer tests)."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce must be 96 bits")
    return bytes([FORMAT_VERSION]) + nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def open_sealed(key: bytes, blob: bytes, ad: bytes) -> bytes:
    """Decrypt and authenticate; raise :class:`DecryptionError` on any mismatch."""
    return open_with(AESGCM(key), blob, ad)


def open_with(aead: AESGCM, blob: bytes, ad: bytes) -> bytes:
    """Like :func:`open_sealed` with a prepared cipher (one per citizen per batch)."""
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("unknown ciphertext format")
    try:
        return aead.decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], ad)
    except InvalidTag:
        raise DecryptionError("ciphertext failed authentication") from None


def seal_with(aead: AESGCM, plaintext: bytes, ad: bytes) -> bytes:
    """Like :func:`seal` with a prepared cipher and a fresh random nonce."""
    nonce = os.urandom(NONCE_BYTES)
    return bytes([FORMAT_VERSION]) + nonce + aead.encrypt(nonce, plaintext, ad)
