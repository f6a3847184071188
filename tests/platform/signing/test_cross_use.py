"""A signature under a key published for another use is rejected, even though it is genuine."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner

from civicdata.audit.checkpoints import Checkpoint, CheckpointError, sign_checkpoint
from civicdata.audit.keys import entry_key, open_signed_checkpoint
from civicdata.audit.log import entry_signing_input
from civicdata.audit.merkle import leaf_hash
from civicdata.audit.verify import verify_export
from civicdata.cli import cli
from civicdata.consents.receipt_keys import verify_published_receipt
from civicdata.context import Platform
from civicdata.releases import signing as release_signing
from civicdata.signing.material import SigningKeyError
from consent.receipts import ReceiptError, signed_document
from tests.platform.signing.test_rotation import (
    audit_entries_and_checkpoint,
    export,
    published,
    receipt,
)


def test_a_checkpoint_signed_with_the_receipts_key_is_rejected(own_platform: Platform) -> None:
    audit_entries_and_checkpoint(own_platform, 2)
    lines = export(own_platform)
    genuine = json.loads(lines[-1])["checkpoint"]
    body = genuine.partition("\n\n")[0] + "\n"
    origin = own_platform.audit_origin
    lines, _ = lines[:-1], None
    for use in ("receipts", "releases"):
        wrong = sign_checkpoint(
            Checkpoint(*_parsed(body)), origin, own_platform.signing.current(use).ed25519
        )
        with pytest.raises(CheckpointError, match=f"a {use} key, not an audit key"):
            open_signed_checkpoint(wrong, origin, published(own_platform))
        result = verify_export([*lines, json.dumps({"checkpoint": wrong})], published(own_platform))
        assert not result.ok and any("not an audit key" in p for p in result.problems)


def _parsed(body: str) -> tuple[str, int, bytes]:
    origin, size, root = body.splitlines()
    return origin, int(size), base64.b64decode(root)


def test_an_audit_entry_signed_with_another_use_key_is_rejected(own_platform: Platform) -> None:
    audit_entries_and_checkpoint(own_platform, 2)
    lines = export(own_platform)
    record = json.loads(lines[1])
    content = json.loads(record["entry"])
    signer = own_platform.signing.current("releases")
    content["kid"] = signer.kid
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(SigningKeyError, match="published for releases, not audit"):
        entry_key(published(own_platform), text)
    leaf = leaf_hash(text.encode())
    forged = {
        "index": 0,
        "entry": text,
        "leaf_hash": leaf.hex(),
        "signature": base64.b64encode(signer.ed25519.sign(entry_signing_input(0, leaf))).decode(),
    }
    result = verify_export([lines[0], json.dumps(forged), *lines[2:]], published(own_platform))
    assert result.first_bad == 0
    assert any("names no usable audit key" in p for p in result.problems)


def test_a_receipt_signed_with_the_audit_key_is_rejected(own_platform: Platform) -> None:
    genuine = receipt(own_platform, "r-1")
    audit = own_platform.signing.current("audit")
    forged_receipt = {**genuine["receipt"], "kid": audit.kid}
    forged = signed_document(forged_receipt, audit.ed25519)
    with pytest.raises(ReceiptError, match="published for audit, not receipts"):
        verify_published_receipt(forged, published(own_platform))
    assert verify_published_receipt(genuine, published(own_platform))["consentReceiptID"] == "r-1"


def test_a_release_signed_with_another_use_key_is_rejected(
    own_platform: Platform, own_config, tmp_path
) -> None:
    document = {"id": "rel-1", "cells": [{"value": 3}]}
    receipts_signer = own_platform.signing.current("receipts")
    with pytest.raises(SigningKeyError):
        release_signing.sign(document, receipts_signer)  # the signer refuses outright
    raw = receipts_signer.ed25519.sign(release_signing.signing_input(document, receipts_signer.kid))
    signature = base64.b64encode(raw).decode()
    with pytest.raises(SigningKeyError, match="published for receipts, not releases"):
        release_signing.verify(document, signature, receipts_signer.kid, published(own_platform))
    body = {"release": document, "signature": {"key_id": receipts_signer.kid, "value": signature}}
    path = tmp_path / "release.json"
    path.write_text(json.dumps(body))
    env = {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(tmp_path),
        "CIVIC_KEYS_DIR": str(own_config.keys_dir),
        "CIVIC_DATABASE_URL": own_config.database_url,
    }
    result = CliRunner().invoke(cli, ["releases", "verify", str(path)], env=env)
    assert result.exit_code == 1 and "published for receipts, not releases" in result.output
