"""Envelope encryption: master keys wrap shard keys, which wrap per-citizen data keys."""

from civicdata.vault.envelope import DecryptionError, associated_data, open_sealed, seal
from civicdata.vault.keyring import KeyManager, KeyringError, KeyUnavailableError, LocalKeyring
from civicdata.vault.service import CitizenCipher, Vault

__all__ = [
    "CitizenCipher",
    "DecryptionError",
    "KeyManager",
    "KeyUnavailableError",
    "KeyringError",
    "LocalKeyring",
    "Vault",
    "associated_data",
    "open_sealed",
    "seal",
]
