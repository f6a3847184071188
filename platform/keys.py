"""The instance's key files: created once by ``civic init``, loaded at start-up.

``keys/`` holds the master keyring, the blind-index key and, under
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
from civicdata.vault import LocalKeyring
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
    if not config.keyring_path.exists() and not os.environ.get("CIVIC_KEYRING_JSON"):
        LocalKeyring.generate().save(config.keyring_path)
        created.append(str(config.keyring_path))
    blind = config.keys_dir / BLIND_INDEX_FILE
    if not blind.exists():
        _write_private(blind, secrets.token_bytes(32).hex().encode())
        created.append(str(blind))
    created.extend(ensure_signing_files(config.keys_dir))
    return created


@dataclass(frozen=True)
class KeySet:
    """The encryption keys the running platform needs, loaded once (signing keys: ``Platform.signing``)."""

    keyring: LocalKeyring
    blind_index: BlindIndex


def load_keys(config: Config) -> KeySet:
    """Load the key files; a missing file is a clear error telling to run ``civic init``."""
    keyring = LocalKeyring.load(config.keyring_path)
    blind_path = config.keys_dir / BLIND_INDEX_FILE
    if not blind_path.exists():
        raise FileNotFoundError(f"{blind_path} not found (run `civic init`)")
    blind = BlindIndex(bytes.fromhex(blind_path.read_text().strip()))
    return KeySet(keyring, blind)
