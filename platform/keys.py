"""The instance's key files: created once by ``civic init``, loaded at start-up.

``keys/`` holds the local master keyring (development; an HSM holds master keys
in production), the blind-index key and the Ed25519 signing key (consent
receipts, releases, audit checkpoints). Files are owner-only. Creating is
idempotent: existing keys are never overwritten.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicdata.config import Config
from civicdata.vault import KeyManager, LocalKeyring
from civicdata.vault.blind_index import BlindIndex

BLIND_INDEX_FILE = "blind-index.key"
SIGNING_FILE = "signing-ed25519.pem"
SIGNING_PUBLIC_FILE = "signing-ed25519.pub.pem"
OIDC_FILE = "oidc-rs256.pem"  # signs OpenID Connect ID tokens (RS256)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def ensure_keys(config: Config) -> list[str]:
    """Create whichever key files are missing; return the names of those created."""
    created: list[str] = []
    local = config.key_manager == "local"
    if local and not config.keyring_path.exists() and not os.environ.get("CIVIC_KEYRING_JSON"):
        LocalKeyring.generate().save(config.keyring_path)
        created.append(str(config.keyring_path))
    if not local:
        manager = key_manager(config)
        if not manager.key_ids():
            created.append(f"master key {manager.create_key()} in the HSM")
    blind = config.keys_dir / BLIND_INDEX_FILE
    if not blind.exists():
        _write_private(blind, secrets.token_bytes(32).hex().encode())
        created.append(str(blind))
    signing = config.keys_dir / SIGNING_FILE
    if not signing.exists():
        key = Ed25519PrivateKey.generate()
        _write_private(
            signing,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        (config.keys_dir / SIGNING_PUBLIC_FILE).write_bytes(public_pem(key.public_key()))
        created.append(str(signing))
    oidc = config.keys_dir / OIDC_FILE
    if not oidc.exists():
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(
            oidc,
            rsa_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        created.append(str(oidc))
    return created


def key_manager(config: Config) -> KeyManager:
    """The configured source of master keys: the local keyring or an HSM."""
    if config.key_manager == "pkcs11":
        from civicdata.vault.pkcs11 import Pkcs11KeyManager

        return Pkcs11KeyManager.from_config(config)
    return LocalKeyring.load(config.keyring_path)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class KeySet:
    """Every key file the running platform needs, loaded once (master keys: see vault)."""

    blind_index: BlindIndex
    signing: Ed25519PrivateKey


def load_keys(config: Config) -> KeySet:
    """Load the key files; a missing file is a clear error telling to run ``civic init``."""
    blind_path = config.keys_dir / BLIND_INDEX_FILE
    signing_path = config.keys_dir / SIGNING_FILE
    for path in (blind_path, signing_path):
        if not path.exists():
            raise FileNotFoundError(f"{path} not found (run `civic init`)")
    blind = BlindIndex(bytes.fromhex(blind_path.read_text().strip()))
    signing = serialization.load_pem_private_key(signing_path.read_bytes(), password=None)
    if not isinstance(signing, Ed25519PrivateKey):
        raise ValueError(f"{signing_path} is not an Ed25519 private key")
    return KeySet(blind, signing)
