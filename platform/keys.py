"""The instance's key files: created once by ``civic init``, loaded at start-up.

``keys/`` holds the local master keyring (development; an HSM holds master keys
in production), the blind-index key and, under
``keys/signing/``, one private signing key file per key id (see
:mod:`civicdata.signing`). Files are owner-only. Creating is idempotent:
existing keys are never overwritten.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from civicdata.config import Config
from civicdata.signing.material import ensure_signing_files
from civicdata.vault import KeyManager, LocalKeyring
from civicdata.vault.blind_index import BlindIndex

BLIND_INDEX_FILE = "blind-index.key"


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
    created.extend(ensure_signing_files(config.keys_dir))
    return created


def key_manager(config: Config) -> KeyManager:
    """The configured source of master keys: the local keyring or an HSM."""
    if config.key_manager == "pkcs11":
        from civicdata.vault.pkcs11 import Pkcs11KeyManager

        return Pkcs11KeyManager.from_config(config)
    return LocalKeyring.load(config.keyring_path)


@dataclass(frozen=True)
class KeySet:
    """Key files loaded once (master keys: ``Platform.key_manager``; signing: ``Platform.signing``)."""

    blind_index: BlindIndex


def load_keys(config: Config) -> KeySet:
    """Load the key files; a missing file is a clear error telling to run ``civic init``."""
    blind_path = config.keys_dir / BLIND_INDEX_FILE
    if not blind_path.exists():
        raise FileNotFoundError(f"{blind_path} not found (run `civic init`)")
    blind = BlindIndex(bytes.fromhex(blind_path.read_text().strip()))
    return KeySet(blind)
