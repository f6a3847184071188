"""Signed consent receipts: they verify with the public key, and nothing else does."""

from __future__ import annotations

import base64
import json
import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from consent.notices import sync_notices
from consent.purposes import Purpose
from consent.receipts import (
    RECEIPT_VERSION,
    ReceiptError,
    load_public_key,
    public_key_pem,
    verify_receipt,
)
from consent.records import ConsentEvent, give, history, withdraw
from tests.consent.helpers import T0

TRANSPORT = "transport-planning"
DOC = Path(__file__).resolve().parents[2] / "docs" / "consent-receipts.md"


@pytest.fixture
def events(engine: Engine, purposes: dict[str, Purpose], issuer) -> list[ConsentEvent]:  # type: ignore[no-untyped-def]
    transport = purposes[TRANSPORT]
    with engine.begin() as conn:
        sync_notices(conn, purposes, T0)
        give(conn, "c-123", transport, language="ca", method="portal", now=T0, issuer=issuer)
        withdraw(
            conn,
            "c-123",
            transport,
            language="en",
            method="api",
            now=T0 + timedelta(days=1),
            issuer=issuer,
        )
    with engine.connect() as conn:
        return history(conn, "c-123")  # as stored, read back


def test_grant_and_withdrawal_receipts_verify(events: list[ConsentEvent], issuer, purposes) -> None:  # type: ignore[no-untyped-def]
    public = issuer.signing_key.public_key()
    given, withdrawn = (verify_receipt(e.document(), public) for e in events)
    transport = purposes[TRANSPORT]
    assert given["version"] == RECEIPT_VERSION
    assert given["consentReceiptID"] == events[0].record_id
    assert given["piiPrincipalId"] == "c-123"
    assert given["consentTimestamp"] == int(T0.timestamp())
    assert given["collectionMethod"] == "citizen portal"
    assert given["publicKey"] == public_key_pem(public)
    assert given["services"][0]["purposes"][0]["purpose"] == transport.notice["ca"].title
    assert given["services"][0]["purposes"][0]["piiCategory"] == ["trips"]
    assert (given["state"], given["noticeVersion"]) == ("given", 1)
    assert given["noticeHash"] == transport.notice_hash
    assert given["validUntil"] == events[0].valid_until.isoformat()
    assert (withdrawn["state"], withdrawn["validUntil"]) == ("withdrawn", None)
    assert withdrawn["collectionMethod"] == "consent API"


def test_a_pretty_printed_receipt_file_still_verifies(events, issuer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(events[0].document(), indent=2, ensure_ascii=True))
    verified = verify_receipt(json.loads(path.read_text()), issuer.signing_key.public_key())
    assert verified["consentReceiptID"] == events[0].record_id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("state", "withdrawn"),
        ("piiPrincipalId", "c-999"),
        ("validUntil", "2099-01-01T00:00:00+00:00"),
    ],
)
def test_a_tampered_receipt_fails(events, issuer, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    document = events[0].document()
    document["receipt"] = document["receipt"] | {field: value}
    with pytest.raises(ReceiptError, match="signature does not match"):
        verify_receipt(document, issuer.signing_key.public_key())


def test_a_receipt_signed_by_another_key_fails(events, issuer) -> None:  # type: ignore[no-untyped-def]
    forger = Ed25519PrivateKey.generate()
    document = events[0].document()
    receipt = document["receipt"] | {"publicKey": public_key_pem(forger.public_key())}
    forged = {
        "alg": "Ed25519",
        "receipt": receipt,
        "signature": base64.b64encode(
            forger.sign(
                json.dumps(
                    receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                ).encode()
            )
        ).decode(),
    }
    with pytest.raises(ReceiptError, match="signature does not match"):
        verify_receipt(forged, issuer.signing_key.public_key())
    with pytest.raises(ReceiptError, match="signature does not match"):  # and the other way round
        verify_receipt(document, forger.public_key())


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: [d], "not a signed receipt"),
        (lambda d: {"receipt": d["receipt"]}, "not a signed receipt"),
        (lambda d: d | {"alg": "HS256"}, "unsupported algorithm"),
        (lambda d: d | {"receipt": "text"}, "not a JSON object"),
        (lambda d: d | {"signature": "***"}, "not valid base64"),
        (lambda d: d | {"signature": base64.b64encode(b"short").decode()}, "has 5 bytes"),
    ],
)
def test_malformed_documents_get_a_clear_reason(events, issuer, mangle, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReceiptError, match=message):
        verify_receipt(mangle(events[0].document()), issuer.signing_key.public_key())


def test_public_keys_other_than_ed25519_pem_are_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    with pytest.raises(ReceiptError, match="not a PEM public key"):
        load_public_key(b"hello")
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ReceiptError, match="not an Ed25519 public key"):
        load_public_key(ec_pem)


def test_the_documented_procedure_verifies_and_rejects(  # type: ignore[no-untyped-def]
    events, issuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The Python snippet in docs/consent-receipts.md works with cryptography alone."""
    snippet = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert snippet is not None
    code = compile(snippet.group(1), str(DOC), "exec")
    key_file = tmp_path / "signing-ed25519.pub.pem"
    key_file.write_text(public_key_pem(issuer.signing_key.public_key()))
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(events[0].document(), indent=2))
    monkeypatch.setattr(sys, "argv", ["verify_receipt.py", str(good), str(key_file)])
    exec(code, {})
    assert capsys.readouterr().out.startswith(f"OK {events[0].record_id} given")

    tampered = events[0].document()
    tampered["receipt"]["state"] = "withdrawn"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    monkeypatch.setattr(sys, "argv", ["verify_receipt.py", str(bad), str(key_file)])
    with pytest.raises(InvalidSignature):
        exec(code, {})
