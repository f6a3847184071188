"""An instance from before keys per use: its single key becomes the first key of each use."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicdata.audit.log import canonical_json
from civicdata.consents.receipt_keys import verify_published_receipt
from civicdata.context import Platform
from civicdata.releases import signing as release_signing
from civicdata.signing.material import LEGACY_FILES, ensure_signing_files
from consent.receipts import public_key_pem, signed_document
from tests.conftest import make_config


def _pem(key: Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_the_single_key_is_adopted_and_its_old_signatures_verify(
    tmp_path, keys_dir, db_url
) -> None:
    legacy = Ed25519PrivateKey.generate()
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("keyring.json", "blind-index.key"):
        (keys / name).write_bytes((keys_dir / name).read_bytes())
    (keys / LEGACY_FILES["Ed25519"]).write_bytes(_pem(legacy))
    (keys / LEGACY_FILES["RS256"]).write_bytes(_pem(rsa.generate_private_key(65537, 2048)))
    assert len(ensure_signing_files(keys)) == 4
    platform = Platform.build(make_config(tmp_path, keys, db_url))
    platform.signing.register()

    history = platform.signing.history()
    adopted = {key.use: key for key in history.keys}
    assert {adopted[use].public_key_pem for use in ("audit", "receipts", "releases")} == {
        public_key_pem(legacy.public_key())
    }
    assert (
        len({adopted[use].kid for use in adopted}) == 4
    )  # four ids, though three uses share the key

    old_receipt = signed_document(
        {"state": "given", "publicKey": public_key_pem(legacy.public_key())}, legacy
    )
    assert verify_published_receipt(old_receipt, history)["state"] == "given"

    document = {"id": "rel-old", "cells": []}
    old_signature = base64.b64encode(
        legacy.sign(release_signing.LEGACY_CONTEXT + canonical_json(document))
    ).decode()
    raw = legacy.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    release_signing.verify(document, old_signature, hashlib.sha256(raw).hexdigest(), history)

    platform.signing.rotate("receipts")
    assert platform.signing.current("receipts").ed25519.public_key() != legacy.public_key()
    assert verify_published_receipt(old_receipt, platform.signing.history())["state"] == "given"
    platform.engine.dispose()
