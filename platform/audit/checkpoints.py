"""Signed checkpoints: the log's size and root hash in a signed note.

The text follows the C2SP ``tlog-checkpoint`` and ``signed-note`` formats: an
origin line naming the log, the tree size, the base64 root hash, a blank line
and one signature line ``— <key name> <base64(key id || Ed25519 signature)>``,
where the key id is the first four bytes of SHA-256(name || "\\n" || 0x01 ||
public key). Anyone holding the public key can check a checkpoint offline.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> note = sign_checkpoint(Checkpoint("example/audit", 3, bytes(32)), "example", key)
>>> open_checkpoint(note, "example", key.public_key()).size
3
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519_ALGORITHM = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space, as the signed-note format requires


class CheckpointError(ValueError):
    """A checkpoint is malformed, wrongly signed, or inconsistent with another."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The signed text: origin, size and root, each on its own line."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALGORITHM + raw).digest()[:4]


def sign_checkpoint(checkpoint: Checkpoint, key_name: str, key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note."""
    body = checkpoint.body()
    signature = key.sign(body.encode())
    blob = base64.b64encode(key_id(key_name, key.public_key()) + signature).decode()
    return f"{body}\n{SIGNATURE_PREFIX}{key_name} {blob}\n"


def open_checkpoint(note: str, key_name: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """Parse a signed note and check its signature; raise :class:`CheckpointError`."""
    body, sep, signatures = note.partition("\n\n")
    if not sep:
        raise CheckpointError("checkpoint has no signature block")
    body += "\n"
    lines = body.splitlines()
    if len(lines) != 3:
        raise CheckpointError("checkpoint body must have origin, size and root lines")
    origin, size_text, root_text = lines
    try:
        size = int(size_text)
        root = base64.b64decode(root_text, validate=True)
    except ValueError:
        raise CheckpointError("checkpoint size or root is malformed") from None
    if size < 0 or len(root) != 32:
        raise CheckpointError("checkpoint size or root is malformed")
    wanted = key_id(key_name, public_key)
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            continue
        name, _, blob_text = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except ValueError:
            continue
        if name != key_name or blob[:4] != wanted:
            continue
        try:
            public_key.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise CheckpointError("checkpoint signature is invalid") from None
        return Checkpoint(origin, size, root)
    raise CheckpointError(f"checkpoint carries no signature by key {key_name!r}")
