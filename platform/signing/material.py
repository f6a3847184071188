"""The private signing keys of one node: one PEM file per key, named by its key id.

Files live in ``<keys dir>/signing/<kid>.pem`` (owner-only). A key id is the
use followed by a digest of the public key, e.g. ``audit-Jx3…``, so it names
both the key and what it may sign. An instance created before keys were
separated by use had one Ed25519 file (``signing-ed25519.pem``) and one RS256
file (``oidc-rs256.pem``); :func:`ensure_signing_files` adopts them as the
first key of each use (so old signatures keep verifying) until each is rotated.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PrivateKey = Ed25519PrivateKey | rsa.RSAPrivateKey
PublicKey = Ed25519PublicKey | rsa.RSAPublicKey

ALGORITHMS = {"audit": "Ed25519", "receipts": "Ed25519", "releases": "Ed25519", "oidc": "RS256"}
USES = tuple(ALGORITHMS)
SIGNING_DIR = "signing"
LEGACY_FILES = {"Ed25519": "signing-ed25519.pem", "RS256": "oidc-rs256.pem"}


class SigningKeyError(ValueError):
    """A signing key is missing, of the wrong use, or unknown; the message names it."""


def public_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id(use: str, public_key: PublicKey) -> str:
    """``<use>-`` and 22 base64url characters of SHA-256 over the public key (DER)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode("ascii")
    return f"{use}-{digest[:22]}"


def generate(use: str) -> PrivateKey:
    if ALGORITHMS[use] == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Ed25519PrivateKey.generate()


@dataclass(frozen=True, slots=True)
class LocalKey:
    """A private key file found on this node."""

    kid: str
    use: str
    path: Path

    @property
    def created(self) -> datetime:
        return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)


def key_path(keys_dir: Path, kid: str) -> Path:
    return keys_dir / SIGNING_DIR / f"{kid}.pem"


def write_key(keys_dir: Path, use: str, key: PrivateKey) -> str:
    """Store ``key`` as the file of its key id (never overwriting); return the key id."""
    kid = key_id(use, key.public_key())
    path = key_path(keys_dir, kid)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return kid


def read_private(path: Path, use: str) -> PrivateKey:
    """Load the private key in ``path``, checking that its algorithm fits ``use``."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    wanted = rsa.RSAPrivateKey if ALGORITHMS[use] == "RS256" else Ed25519PrivateKey
    if not isinstance(key, wanted):
        raise SigningKeyError(f"{path} is not an {ALGORITHMS[use]} private key")
    return key


def load_private(keys_dir: Path, kid: str, use: str) -> PrivateKey:
    """The private key ``kid``; a missing file is an error naming it and the remedy."""
    path = key_path(keys_dir, kid)
    if not path.exists():
        raise SigningKeyError(
            f"the current {use} signing key {kid} is not on this node: copy {path.name} "
            f"into {path.parent} (every node shares the keys directory)"
        )
    return read_private(path, use)


def local_keys(keys_dir: Path) -> list[LocalKey]:
    """Every key file on this node, oldest first."""
    folder = keys_dir / SIGNING_DIR
    found = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        use = path.stem.partition("-")[0]
        if use in ALGORITHMS:
            found.append(LocalKey(path.stem, use, path))
    return sorted(found, key=lambda k: (k.path.stat().st_mtime_ns, k.kid))


def ensure_signing_files(keys_dir: Path) -> list[str]:
    """Give every use a key file if it has none; return the paths created.

    A use without a file adopts the legacy single key of its algorithm if
    there is one (old signatures keep verifying), else gets a new key.
    """
    have = {key.use for key in local_keys(keys_dir)}
    created = []
    for use in USES:
        if use in have:
            continue
        legacy = keys_dir / LEGACY_FILES[ALGORITHMS[use]]
        key = read_private(legacy, use) if legacy.exists() else generate(use)
        created.append(str(key_path(keys_dir, write_key(keys_dir, use, key))))
    return created
