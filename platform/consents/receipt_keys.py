"""Choosing the key that verifies a receipt from the published key history.

A receipt names its key by ``kid``; that key must be published for
``receipts``, so a receipt signed with the audit or releases key is refused
even though its signature holds. Receipts from before key ids carry only
their ``publicKey``, which must then be one of the published receipts keys.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError
from consent.receipts import ReceiptError, receipt_key_id, verify_receipt

USE = "receipts"


def receipt_public_key(document: Any, history: KeyHistory) -> Ed25519PublicKey:
    """The published receipts key a signed receipt names; raise ``ReceiptError`` otherwise."""
    if not isinstance(document, dict) or not {"receipt", "signature"} <= document.keys():
        raise ReceiptError("not a signed receipt: expected an object with receipt and signature")
    kid = receipt_key_id(document)
    if kid is not None:
        try:
            return history.ed25519(kid, USE)
        except SigningKeyError as exc:
            raise ReceiptError(str(exc)) from None
    receipt = document["receipt"]
    pem = receipt.get("publicKey") if isinstance(receipt, dict) else None
    for key in history.of_use(USE):
        if key.public_key_pem == pem and isinstance(key.public_key, Ed25519PublicKey):
            return key.public_key
    raise ReceiptError("the receipt names no published receipts key")


def verify_published_receipt(document: Any, history: KeyHistory) -> dict[str, Any]:
    """Verify a signed receipt document with the key the history publishes for it."""
    return verify_receipt(document, receipt_public_key(document, history))
