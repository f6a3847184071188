"""`civic receipts verify FILE`: OK and exit 0 for a genuine receipt, FAILED and 1 otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicdata.cli import cli
from civicdata.context import Platform
from civicdata.signing.material import key_id, public_pem
from consent.notices import NoticeVersion
from consent.purposes import load_purposes
from consent.receipts import ReceiptIssuer, build_receipt, signed_document

NOW = datetime(2025, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path, keys_dir: Path, db_url: str) -> dict[str, str]:
    return {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(tmp_path / "instance"),
        "CIVIC_KEYS_DIR": str(keys_dir),
        "CIVIC_DATABASE_URL": db_url,
    }


def receipt_document(key: Ed25519PrivateKey) -> dict:
    purpose = load_purposes()["transport-planning"]
    notice = NoticeVersion(purpose.id, 1, purpose.notice_hash, False, NOW, {})
    kid = key_id("receipts", key.public_key())
    issuer = ReceiptIssuer(key, kid, "City", "dpo@city.example", "ES-CT", "https://city.example/p")
    receipt = build_receipt(
        issuer,
        record_id="6f1c7d1e-0000-4000-8000-000000000001",
        subject_id="c-42",
        purpose=purpose,
        notice=notice,
        language="en",
        method="portal",
        client_id=None,
        state="given",
        event_time=NOW,
        valid_until=purpose.consent_valid_until(NOW),
    )
    return signed_document(receipt, key)


@pytest.fixture
def platform_key(platform_: Platform) -> Ed25519PrivateKey:
    return platform_.signing.current("receipts").ed25519


def write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return str(path)


def test_a_genuine_receipt_is_ok_with_the_instance_key(
    env: dict[str, str], platform_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    path = write(tmp_path / "r.json", receipt_document(platform_key))
    result = CliRunner().invoke(cli, ["receipts", "verify", path], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: receipt 6f1c7d1e-0000-4000-8000-000000000001")
    assert "transport-planning" in result.output


def test_an_explicit_public_key_is_used(tmp_path: Path, env: dict[str, str]) -> None:
    elsewhere = Ed25519PrivateKey.generate()
    pem = tmp_path / "published.pub.pem"
    pem.write_text(public_pem(elsewhere.public_key()))
    path = write(tmp_path / "r.json", receipt_document(elsewhere))
    ok = CliRunner().invoke(cli, ["receipts", "verify", path, "--public-key", str(pem)], env=env)
    assert ok.exit_code == 0, ok.output
    default = CliRunner().invoke(cli, ["receipts", "verify", path], env=env)
    assert default.exit_code == 1  # the instance's history does not publish that key
    assert "FAILED: key receipts-" in default.output
    assert "not in the published key history" in default.output


def test_a_tampered_receipt_fails(
    env: dict[str, str], platform_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    document = receipt_document(platform_key)
    document["receipt"]["state"] = "withdrawn"
    result = CliRunner().invoke(
        cli, ["receipts", "verify", write(tmp_path / "r.json", document)], env=env
    )
    assert result.exit_code == 1
    assert "FAILED: signature does not match" in result.output
    assert "OK" not in result.output


@pytest.mark.parametrize(
    ("content", "extra", "reason"),
    [
        ("not json", [], "is not JSON"),
        ('{"receipt": {}}', [], "not a signed receipt"),
        ("{}", ["--public-key", "/nonexistent/key.pem"], "cannot read public key"),
    ],
)
def test_unreadable_inputs_fail_with_a_reason(
    env: dict[str, str], tmp_path: Path, content: str, extra: list[str], reason: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["receipts", "verify", str(path), *extra], env=env)
    assert result.exit_code == 1
    assert "FAILED: " in result.output and reason in result.output


def test_a_missing_receipt_file_fails(env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["receipts", "verify", str(tmp_path / "absent.json")], env=env)
    assert result.exit_code == 1
    assert "FAILED: cannot read" in result.output
