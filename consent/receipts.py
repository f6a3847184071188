"""Signed consent receipts: what the citizen keeps as proof of each grant and withdrawal.

A receipt is a JSON object with the fields of the Kantara Initiative Consent
Receipt Specification v1.1 that apply here (``piiPrincipalId`` is the citizen's
pseudonym, never a name or an e-mail address), plus the platform's own fields:
``state`` (given or withdrawn), ``purposeId``, ``noticeVersion``,
``noticeHash``, ``legalBasis``, ``eventTime``, ``validUntil`` and ``clientId``,
and ``kid``: the id of the receipts key that signed it, so a verifier picks
that key from the platform's published key history after any rotation.

It is signed with Ed25519 over its canonical JSON form (keys sorted, no
whitespace, UTF-8) and handed out as a *signed receipt document*::

    {"alg": "Ed25519", "receipt": {...}, "signature": "<base64 of 64 bytes>"}

Anyone holding the public key named by ``kid`` can check it with
:func:`verify_receipt` (or ``civic receipts verify FILE``, which picks the key
from the history and refuses a key published for another use); see
docs/consent-receipts.md for doing it with ``cryptography`` alone.

>>> key = Ed25519PrivateKey.generate()
>>> receipt = {"state": "given", "kid": "receipts-1", "publicKey": public_key_pem(key.public_key())}
>>> document = signed_document(receipt, key)
>>> verify_receipt(document, key.public_key())["state"]
'given'
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from consent.notices import NoticeVersion
from consent.purposes import Purpose

RECEIPT_VERSION = "KI-CR-v1.1.0"
ALGORITHM = "Ed25519"
METHOD_DESCRIPTIONS = {
    "portal": "citizen portal",
    "oauth": "OAuth consent screen",
    "api": "consent API",
}


class ReceiptError(ValueError):
    """A receipt or key cannot be verified; the message says why."""


@dataclass(frozen=True, slots=True)
class ReceiptIssuer:
    """Who signs receipts and what every receipt says about them."""

    signing_key: Ed25519PrivateKey
    key_id: str  # the published id of ``signing_key``, carried in every receipt
    controller: str
    contact: str
    jurisdiction: str
    policy_url: str


def canonical_json(value: Any) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace, UTF-8.

    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM, with a clear error otherwise."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ReceiptError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ReceiptError(f"not an Ed25519 public key but {type(key).__name__}")
    return key


def build_receipt(
    issuer: ReceiptIssuer,
    *,
    record_id: str,
    subject_id: str,
    purpose: Purpose,
    notice: NoticeVersion,
    language: str,
    method: str,
    client_id: str | None,
    state: str,
    event_time: datetime,
    valid_until: datetime | None,
) -> dict[str, Any]:
    """The receipt of one consent event (not yet signed)."""
    termination = (
        "Consent withdrawn by the citizen."
        if state == "withdrawn"
        else f"Until {valid_until.isoformat() if valid_until else 'withdrawn'}, "
        "or earlier if the citizen withdraws it in the citizen portal."
    )
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": issuer.jurisdiction,
        "consentTimestamp": int(event_time.timestamp()),
        "collectionMethod": METHOD_DESCRIPTIONS[method],
        "consentReceiptID": record_id,
        "publicKey": public_key_pem(issuer.signing_key.public_key()),
        "kid": issuer.key_id,
        "language": language,
        "piiPrincipalId": subject_id,
        "piiControllers": [{"piiController": issuer.controller, "contact": issuer.contact}],
        "policyUrl": issuer.policy_url,
        "services": [
            {
                "service": purpose.controller,
                "purposes": [
                    {
                        "purpose": purpose.notice[language].title,
                        "purposeCategory": [purpose.id],
                        "consentType": "EXPLICIT",
                        "piiCategory": list(purpose.datasets),
                        "primaryPurpose": True,
                        "termination": termination,
                        "thirdPartyDisclosure": False,
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "state": state,
        "purposeId": purpose.id,
        "noticeVersion": notice.version,
        "noticeHash": notice.notice_hash,
        "legalBasis": purpose.legal_basis,
        "eventTime": event_time.isoformat(),
        "validUntil": valid_until.isoformat() if valid_until else None,
        "clientId": client_id,
    }


def sign(receipt: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """Base64 Ed25519 signature over the receipt's canonical JSON."""
    return base64.b64encode(key.sign(canonical_json(receipt))).decode("ascii")


def signed_document(receipt: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The downloadable file: the receipt with its algorithm and signature."""
    return {"alg": ALGORITHM, "receipt": receipt, "signature": sign(receipt, key)}


def receipt_key_id(document: Any) -> str | None:
    """The ``kid`` a signed receipt document names (``None`` for receipts from before key ids).

    >>> receipt_key_id({"receipt": {"kid": "receipts-1"}, "signature": ""})
    'receipts-1'
    """
    receipt = document.get("receipt") if isinstance(document, dict) else None
    kid = receipt.get("kid") if isinstance(receipt, dict) else None
    return kid if isinstance(kid, str) else None


def verify_receipt(document: Any, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a signed receipt document against ``public_key``; return the receipt.

    Raises :class:`ReceiptError` naming the first problem found: not a signed
    receipt document, another algorithm, a malformed signature, a signature
    that does not match (the receipt was altered, or signed by another key), or
    a receipt that names another public key than the one it was checked with.
    """
    if not isinstance(document, dict) or not {"receipt", "signature"} <= document.keys():
        raise ReceiptError("not a signed receipt: expected an object with receipt and signature")
    if document.get("alg") != ALGORITHM:
        raise ReceiptError(f"unsupported algorithm {document.get('alg')!r}; expected {ALGORITHM}")
    receipt, signature = document["receipt"], document["signature"]
    if not isinstance(receipt, dict):
        raise ReceiptError("receipt is not a JSON object")
    if not isinstance(signature, str):
        raise ReceiptError("signature is not a base64 string")
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error:
        raise ReceiptError("signature is not valid base64") from None
    if len(raw) != 64:
        raise ReceiptError(f"signature has {len(raw)} bytes; an Ed25519 signature has 64")
    try:
        message = canonical_json(receipt)
    except ValueError as exc:
        raise ReceiptError(f"receipt cannot be put in canonical form: {exc}") from None
    try:
        public_key.verify(raw, message)
    except InvalidSignature:
        raise ReceiptError(
            "signature does not match: the receipt was altered or signed by another key"
        ) from None
    if receipt.get("publicKey") != public_key_pem(public_key):
        raise ReceiptError("receipt names a different public key than the one it was checked with")
    return receipt
