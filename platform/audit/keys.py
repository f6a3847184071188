"""Which published audit key made a signature: entries name it, checkpoints hash it.

An entry carries the ``kid`` of the key that signed it in its signed text;
entries written before keys were separated by use carry none and were signed
by the adopted single key, the oldest audit key of the history. A checkpoint,
a C2SP signed note, names its key by the note's 4-byte key hash. A key of
another use (receipts, releases) is refused even if its signature holds.
"""

from __future__ import annotations

import base64
import binascii
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from civicdata.audit.checkpoints import (
    SIGNATURE_PREFIX,
    Checkpoint,
    CheckpointError,
    key_id,
    open_checkpoint,
)
from civicdata.signing.history import KeyHistory, PublishedKey
from civicdata.signing.material import SigningKeyError

USE = "audit"


def entry_key(history: KeyHistory, entry_text: str) -> Ed25519PublicKey:
    """The audit key named by an entry; raise ``SigningKeyError`` if it is not one."""
    try:
        kid = json.loads(entry_text).get("kid")
    except (ValueError, AttributeError):
        raise SigningKeyError("the entry is not a JSON object") from None
    if kid is None:
        audit_keys = history.of_use(USE)
        if not audit_keys:
            raise SigningKeyError("the key history has no audit key")
        kid = audit_keys[0].kid
    return history.ed25519(str(kid), USE)


def _note_key_hashes(note: str, name: str) -> set[bytes]:
    _, _, signatures = note.partition("\n\n")
    hashes = set()
    for line in signatures.splitlines():
        signer, _, blob = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        if not line.startswith(SIGNATURE_PREFIX) or signer != name:
            continue
        try:
            hashes.add(base64.b64decode(blob, validate=True)[:4])
        except binascii.Error:
            continue
    return hashes


def checkpoint_key(note: str, origin: str, history: KeyHistory) -> PublishedKey:
    """The published audit key whose hash a checkpoint carries; refuse a key of another use."""
    hashes = _note_key_hashes(note, origin)
    for key in history.keys:
        public = key.public_key
        if not isinstance(public, Ed25519PublicKey) or key_id(origin, public) not in hashes:
            continue
        if key.use != USE:
            raise CheckpointError(
                f"checkpoint is signed by {key.kid}, a {key.use} key, not an audit key"
            )
        return key
    raise CheckpointError("checkpoint carries no signature by a published audit key")


def open_signed_checkpoint(note: str, origin: str, history: KeyHistory) -> Checkpoint:
    """Check a checkpoint's signature by the audit key it names, then parse it."""
    public = checkpoint_key(note, origin, history).public_key
    assert isinstance(public, Ed25519PublicKey)  # checkpoint_key only matches Ed25519 keys
    return open_checkpoint(note, origin, public)
