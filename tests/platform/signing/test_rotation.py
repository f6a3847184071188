"""Signatures made before and after rotating each signing key verify from the published history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from joserfc import jwt
from joserfc.jwk import KeySet

from civicdata.app import create_app
from civicdata.audit import record_event
from civicdata.audit.export import export_lines
from civicdata.audit.tree import make_checkpoint
from civicdata.audit.verify import verify_export
from civicdata.consents.issuers import receipt_issuer
from civicdata.consents.receipt_keys import verify_published_receipt
from civicdata.context import Platform
from civicdata.oauth.signing import id_token_key, jwks
from civicdata.releases import signing as release_signing
from civicdata.signing.history import KeyHistory
from consent.notices import NoticeVersion
from consent.receipts import build_receipt, signed_document

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
PURPOSE = "transport-planning"


def published(platform: Platform) -> KeyHistory:
    """The history exactly as a verifier fetches it, over HTTP without credentials."""
    response = create_app(platform=platform).test_client().get("/.well-known/civic-keys")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return KeyHistory.from_document(response.json)


def receipt(platform: Platform, record_id: str) -> dict:
    purpose = platform.purposes[PURPOSE]
    notice = NoticeVersion(purpose.id, 1, purpose.notice_hash, False, NOW, {})
    issuer = receipt_issuer(platform, purpose)
    built = build_receipt(
        issuer,
        record_id=record_id,
        subject_id="c-1",
        purpose=purpose,
        notice=notice,
        language="en",
        method="portal",
        client_id=None,
        state="given",
        event_time=NOW,
        valid_until=None,
    )
    return signed_document(built, issuer.signing_key)


def audit_entries_and_checkpoint(platform: Platform, count: int) -> None:
    with platform.sessions() as session:
        for i in range(count):
            record_event(session, actor="operator", action="test.event", n=i)
        session.commit()
        make_checkpoint(session, platform.signing.current("audit").ed25519, platform.audit_origin)
        session.commit()


def export(platform: Platform) -> list[str]:
    with platform.sessions() as session:
        return list(export_lines(session, platform.audit_origin))


def test_the_history_publishes_one_key_per_use_without_private_material(
    own_platform: Platform,
) -> None:
    document = create_app(platform=own_platform).test_client().get("/.well-known/civic-keys").json
    assert document["format"] == "civic-keys/v1"
    assert sorted(k["use"] for k in document["keys"]) == ["audit", "oidc", "receipts", "releases"]
    assert {k["alg"] for k in document["keys"] if k["use"] != "oidc"} == {"Ed25519"}
    assert all(
        k["kid"].startswith(k["use"] + "-") and k["not_after"] is None for k in document["keys"]
    )
    assert len({k["public_key_pem"] for k in document["keys"]}) == 4  # four separate keys
    assert "PRIVATE" not in json.dumps(document)


def test_receipts_before_and_after_rotation_verify(own_platform: Platform) -> None:
    before = receipt(own_platform, "r-before")
    old = own_platform.signing.current("receipts").kid
    new = own_platform.signing.rotate("receipts").kid
    after = receipt(own_platform, "r-after")
    assert (before["receipt"]["kid"], after["receipt"]["kid"]) == (old, new) and old != new
    history = published(own_platform)
    assert verify_published_receipt(before, history)["consentReceiptID"] == "r-before"
    assert verify_published_receipt(after, history)["consentReceiptID"] == "r-after"
    closed = history.get(old, "receipts")
    assert (
        closed.not_after is not None and closed.not_after <= history.get(new, "receipts").not_before
    )


def test_audit_entries_and_checkpoints_before_and_after_rotation_verify(
    own_platform: Platform,
) -> None:
    audit_entries_and_checkpoint(own_platform, 3)
    kept = json.loads(export(own_platform)[-1])["checkpoint"]
    own_platform.signing.rotate("audit")
    audit_entries_and_checkpoint(own_platform, 2)
    lines = export(own_platform)
    kids = [json.loads(json.loads(line)["entry"])["kid"] for line in lines[1:-1]]
    assert len(set(kids[:3])) == 1 and len(set(kids[3:])) == 1 and kids[0] != kids[-1]
    result = verify_export(lines, published(own_platform), since_checkpoint=kept)
    assert result.ok, result.problems
    assert result.size == 5


def test_releases_before_and_after_rotation_verify(own_platform: Platform) -> None:
    document = {"id": "rel-1", "cells": [{"value": 12.5}]}
    first = own_platform.signing.current("releases")
    before = release_signing.sign(document, first)
    second = own_platform.signing.rotate("releases")
    after = release_signing.sign(document, second)
    history = published(own_platform)
    release_signing.verify(document, before, first.kid, history)
    release_signing.verify(document, after, second.kid, history)


def test_id_tokens_before_and_after_rotation_verify_from_the_jwks(own_platform: Platform) -> None:
    claims = {"iss": "https://city.example", "sub": "pairwise-1", "aud": "app"}
    keys = [id_token_key(own_platform.signing.current("oidc"))]
    keys.append(id_token_key(own_platform.signing.rotate("oidc")))
    tokens = [jwt.encode({"alg": "RS256", "kid": k.kid}, claims, k.key) for k in keys]
    served = create_app(platform=own_platform).test_client().get("/oauth/jwks").json
    assert served == jwks(published(own_platform))
    key_set = KeySet.import_key_set(served)
    for token in tokens:
        assert jwt.decode(token, key_set, algorithms=["RS256"]).claims["sub"] == "pairwise-1"
