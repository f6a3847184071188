"""C2SP ``tlog-cosignature`` (Ed25519) lines and C2SP ``signed-note`` verifier keys.

A cosignature line is ``— <name> base64(key id || timestamp || signature)``:
key id ``SHA-256(name || "\\n" || 0x04 || public key)[:4]``, an 8-byte
big-endian POSIX timestamp, and an Ed25519 signature over ``"cosignature/v1\\n"
"time <timestamp>\\n"`` followed by the checkpoint's note body. A verifier key
(vkey) is ``<name>+<hex key id>+base64(algorithm byte || public key)``.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> key = Ed25519PrivateKey.generate()
>>> line = cosign("log\\n1\\nAAAA\\n", "w.example/w1", key, 1700000000)
>>> Witness.parse(witness_vkey("w.example/w1", key.public_key())).verify("log\\n1\\nAAAA\\n", line)
1700000000
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from civicdata.audit.checkpoints import SIGNATURE_PREFIX

COSIGNATURE_V1 = 0x04  # the signed-note algorithm byte of Ed25519 cosignatures
NOTE_ED25519 = 0x01  # the algorithm byte of the log's own Ed25519 note signatures


class CosignatureError(ValueError):
    """A cosignature or a verifier key is malformed or does not verify."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, algorithm: int, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + _raw(public_key)).digest()[
        :4
    ]


def vkey(name: str, algorithm: int, public_key: Ed25519PublicKey) -> str:
    """The signed-note verifier key text of ``public_key`` under ``name``."""
    blob = base64.b64encode(bytes([algorithm]) + _raw(public_key)).decode()
    return f"{name}+{key_id(name, algorithm, public_key).hex()}+{blob}"


def witness_vkey(name: str, public_key: Ed25519PublicKey) -> str:
    return vkey(name, COSIGNATURE_V1, public_key)


def parse_vkey(text: str, algorithm: int) -> tuple[str, Ed25519PublicKey]:
    """The name and Ed25519 key of a verifier key; raise :class:`CosignatureError`."""
    name, _, rest = text.strip().partition("+")
    hex_id, _, blob = rest.partition("+")
    try:
        raw = base64.b64decode(blob, validate=True)
        public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError:
        raise CosignatureError(f"verifier key {text!r} is malformed") from None
    if not name or raw[:1] != bytes([algorithm]):
        raise CosignatureError(f"verifier key {text!r} is not of algorithm {algorithm:#04x}")
    if hex_id != key_id(name, algorithm, public_key).hex():
        raise CosignatureError(f"verifier key {text!r} has a wrong key id")
    return name, public_key


def signed_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (with its newline) of ``name`` over a checkpoint ``body``."""
    signature = key.sign(signed_message(body, timestamp))
    blob = key_id(name, COSIGNATURE_V1, key.public_key()) + timestamp.to_bytes(8, "big") + signature
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True, slots=True)
class Witness:
    """A witness as a verifier knows it: name and public key (and where to reach it)."""

    name: str
    public_key: Ed25519PublicKey
    url: str = ""

    @classmethod
    def parse(cls, key: str, url: str = "") -> Witness:
        name, public_key = parse_vkey(key, COSIGNATURE_V1)
        return cls(name, public_key, url.rstrip("/"))

    @property
    def vkey(self) -> str:
        return witness_vkey(self.name, self.public_key)

    def lines_of(self, note: str) -> list[str]:
        """The signature lines of ``note`` that claim to be this witness's."""
        wanted = key_id(self.name, COSIGNATURE_V1, self.public_key)
        found = []
        for line in note.splitlines():
            name, _, blob = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
            if not line.startswith(SIGNATURE_PREFIX) or name != self.name:
                continue
            try:
                if base64.b64decode(blob, validate=True)[:4] == wanted:
                    found.append(line)
            except ValueError:
                continue
        return found

    def verify(self, body: str, line: str) -> int:
        """Check one cosignature line over ``body``; return its timestamp."""
        name, _, blob_text = line.strip().removeprefix(SIGNATURE_PREFIX).partition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except ValueError:
            raise CosignatureError("cosignature is not base64") from None
        if name != self.name or len(blob) != 4 + 8 + 64:
            raise CosignatureError(f"not a cosignature by {self.name}")
        if blob[:4] != key_id(name, COSIGNATURE_V1, self.public_key):
            raise CosignatureError(f"not a cosignature by {self.name}'s key")
        timestamp = int.from_bytes(blob[4:12], "big")
        try:
            self.public_key.verify(blob[12:], signed_message(body, timestamp))
        except InvalidSignature:
            raise CosignatureError(f"cosignature by {self.name} is invalid") from None
        return timestamp

    def cosigns(self, note: str) -> bool:
        """Does ``note`` carry a valid cosignature of this witness over its body?"""
        body = note.partition("\n\n")[0] + "\n"
        for line in self.lines_of(note):
            try:
                self.verify(body, line)
            except CosignatureError:
                continue
            return True
        return False
