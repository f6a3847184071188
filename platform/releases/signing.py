"""Signing releases with the platform's Ed25519 key, so a published statistic can be checked.

The signature covers ``b"civic-release/v1\\n"`` followed by the canonical JSON
of the release document (keys sorted, no whitespace, UTF-8, no NaN): exactly
the ``release`` object the API returns. To verify a release offline with the
public key (``keys/signing-ed25519.pub.pem``, also served at
``GET /api/v1/releases/signing-key``)::

    import base64, json
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    body = response.json()                        # GET /api/v1/releases/<id>
    message = b"civic-release/v1\\n" + json.dumps(
        body["release"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    key = load_pem_public_key(open("signing-ed25519.pub.pem", "rb").read())
    key.verify(base64.b64decode(body["signature"]["value"]), message)  # raises if altered

``key_id`` is the SHA-256 (hex) of the raw 32-byte public key, so a verifier
can tell which key signed after a rotation.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicdata.audit.log import canonical_json

CONTEXT = b"civic-release/v1\n"
ALGORITHM = "Ed25519"


def signing_input(document: dict[str, Any]) -> bytes:
    """The bytes a release signature covers."""
    return CONTEXT + canonical_json(document)


def canonical_text(document: dict[str, Any]) -> str:
    """The canonical JSON of a release document, as stored and signed."""
    return canonical_json(document).decode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(document: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """The base64 Ed25519 signature of ``document``."""
    return base64.b64encode(key.sign(signing_input(document))).decode("ascii")


def verify(document: dict[str, Any], signature: str, public_key: Ed25519PublicKey) -> None:
    """Raise ``cryptography.exceptions.InvalidSignature`` unless ``signature`` fits ``document``."""
    public_key.verify(base64.b64decode(signature), signing_input(document))
