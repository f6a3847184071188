"""Signing releases with the releases key, so a published statistic can be checked.

The signature covers ``b"civic-release/v2\\n"``, the key id, ``b"\\n"`` and the
canonical JSON of the release document (keys sorted, no whitespace, UTF-8, no
NaN): exactly the ``release`` object the API returns, whose ``signature``
names the key id. Pick the key by that id from the published history
(``GET /.well-known/civic-keys``; it must be a ``releases`` key) or run
``civic releases verify FILE``. With ``cryptography`` alone::

    import base64, json
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    body = response.json()                        # GET /api/v1/releases/<id>
    kid = body["signature"]["key_id"]
    key = next(k for k in history["keys"] if k["kid"] == kid and k["use"] == "releases")
    message = b"civic-release/v2\\n" + kid.encode() + b"\\n" + json.dumps(
        body["release"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    load_pem_public_key(key["public_key_pem"].encode()).verify(
        base64.b64decode(body["signature"]["value"]), message)  # raises if altered

Releases signed before keys were separated by use (``civic-release/v1``, no
key id in the message) name their key by the SHA-256 (hex) of the raw public
key; :func:`verify` still checks them against the history's releases keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicdata.audit.log import canonical_json
from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError
from civicdata.signing.store import Signer

CONTEXT = b"civic-release/v2\n"
LEGACY_CONTEXT = b"civic-release/v1\n"
ALGORITHM = "Ed25519"
USE = "releases"
COVERS = "b'civic-release/v2\\n' + key_id + b'\\n' + canonical JSON of 'release'"


def signing_input(document: dict[str, Any], kid: str) -> bytes:
    """The bytes a release signature covers."""
    return CONTEXT + kid.encode("utf-8") + b"\n" + canonical_json(document)


def canonical_text(document: dict[str, Any]) -> str:
    """The canonical JSON of a release document, as stored and signed."""
    return canonical_json(document).decode("utf-8")


def legacy_key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(document: dict[str, Any], signer: Signer) -> str:
    """The base64 Ed25519 signature of ``document`` by the releases key."""
    if signer.use != USE:
        raise SigningKeyError(f"a {signer.use} key must not sign releases")
    return base64.b64encode(signer.ed25519.sign(signing_input(document, signer.kid))).decode()


def verify(document: dict[str, Any], signature: str, kid: str, history: KeyHistory) -> None:
    """Check a release signature by the releases key ``kid`` of ``history``.

    Raises ``SigningKeyError`` for an unknown key or a key of another use and
    ``InvalidSignature`` if the signature does not fit the document.
    """
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error:
        raise InvalidSignature("the signature is not base64") from None
    if history.use_of(kid) is None:
        for key in history.of_use(USE):
            public = key.public_key
            if isinstance(public, Ed25519PublicKey) and legacy_key_id(public) == kid:
                public.verify(raw, LEGACY_CONTEXT + canonical_json(document))
                return
    history.ed25519(kid, USE).verify(raw, signing_input(document, kid))
