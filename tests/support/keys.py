"""Every AES key a platform with a local keyring holds, for crypto-shredding checks."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select

from civicdata.context import Platform
from civicdata.models import KeyEncryptionKey
from civicdata.vault.kek import kek_ad


def master_keys(platform: Platform) -> list[bytes]:
    ring = json.loads(platform.config.keyring_path.read_text())
    return [base64.b64decode(k["key"]) for k in ring["keys"]]


def shard_keys(platform: Platform) -> list[bytes]:
    """Every key-encryption key, unwrapped by its master key."""
    manager = platform.key_manager
    with platform.sessions() as session:
        rows = session.execute(
            select(KeyEncryptionKey.id, KeyEncryptionKey.master_key_id, KeyEncryptionKey.wrapped)
        ).all()
    return [manager.unwrap(mk, wrapped, kek_ad(key_id)) for key_id, mk, wrapped in rows]


def data_keys(platform: Platform) -> list[bytes]:
    with platform.sessions() as session:
        return [cipher.key for cipher in platform.vault.all_ciphers(session).values()]


def every_key_held(platform: Platform) -> list[bytes]:
    """Master keys, shard keys and every data key still stored, unwrapped."""
    return master_keys(platform) + shard_keys(platform) + data_keys(platform)
