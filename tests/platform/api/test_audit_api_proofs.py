"""Proofs, checkpoints and verification served by ``/api/v1/audit``, checked as an auditor would."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import update

from civicdata.audit import record_event
from civicdata.audit.checkpoints import open_checkpoint
from civicdata.audit.log import entry_signing_input
from civicdata.audit.merkle import verify_consistency, verify_inclusion
from civicdata.models import AuditEvent
from tests.support.oauth import service_token
from tests.support.tamper import allow_tampering

API = "/api/v1/audit"


@pytest.fixture
def auditor(client, platform_) -> dict[str, str]:
    token = service_token(client, platform_, role="auditor", scopes=["audit:read"])
    return {"Authorization": f"Bearer {token}"}


def _fill(platform, n: int) -> list[int]:
    with platform.sessions() as session:
        indices = [
            record_event(
                session, actor="client:x", action="release.request", dataset="trips", n=i
            ).id
            for i in range(n)
        ]
        session.commit()
    return indices


def _opened(client, auditor, origin: str):
    body = client.get(f"{API}/checkpoint", headers=auditor).json
    key = load_pem_public_key(body["public_key_pem"].encode())
    return open_checkpoint(body["note"], origin, key), key, body


def test_an_entrys_inclusion_proof_verifies_with_rfc_9162_and_fails_for_a_wrong_leaf(
    client, platform_, auditor
):
    indices = _fill(platform_, 9)
    target, other = indices[5], indices[2]
    detail = client.get(f"{API}/events/{target}", headers=auditor)
    assert detail.status_code == 200, detail.text
    body = detail.json
    leaf = hashlib.sha256(b"\x00" + body["entry"].encode()).digest()
    assert body["leaf_hash"] == leaf.hex() and body["index"] == target
    inclusion = body["inclusion"]
    proof = [bytes.fromhex(step) for step in inclusion["proof"]]
    size = inclusion["checkpoint_size"]
    assert size > target and inclusion["verified"] is True

    _, key, published = _opened(client, auditor, platform_.audit_origin)
    signed = open_checkpoint(inclusion["checkpoint"], platform_.audit_origin, key)
    assert signed.size == size and signed.root.hex() == inclusion["root_hash"]
    key.verify(base64.b64decode(body["signature"]), entry_signing_input(target, leaf))
    assert verify_inclusion(target, size, leaf, proof, signed.root)

    wrong_leaf = bytes.fromhex(
        client.get(f"{API}/events/{other}", headers=auditor).json["leaf_hash"]
    )
    assert not verify_inclusion(target, size, wrong_leaf, proof, signed.root)
    assert not verify_inclusion(other, size, leaf, proof, signed.root)
    bent = [proof[0][::-1], *proof[1:]]
    assert not verify_inclusion(target, size, leaf, bent, signed.root)
    assert published["size"] >= size  # the later checkpoint covers at least as much


def test_checkpoints_are_signed_on_demand_and_consistent_with_each_other(
    client, platform_, auditor
):
    _fill(platform_, 5)
    first, _, body = _opened(client, auditor, platform_.audit_origin)
    assert body["origin"] == platform_.audit_origin
    assert bytes.fromhex(body["root_hash"]) == first.root
    _fill(platform_, 7)
    second, _, _ = _opened(client, auditor, platform_.audit_origin)
    assert second.size >= first.size + 7

    response = client.get(
        f"{API}/proofs/consistency",
        query_string={"first": first.size, "second": second.size},
        headers=auditor,
    )
    assert response.status_code == 200, response.text
    proof = [bytes.fromhex(step) for step in response.json["proof"]]
    assert response.json["first_checkpoint"] == body["note"]
    assert verify_consistency(first.size, second.size, first.root, second.root, proof)
    assert not verify_consistency(first.size, second.size, second.root, second.root, proof)

    latest = client.get(f"{API}/proofs/consistency?first={first.size}", headers=auditor).json
    assert latest["second"] == second.size and latest["proof"] == response.json["proof"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("first=3&second=2", "first"), ("first=0&second=100000", "second"), ("second=1", "first")],
)
def test_bad_consistency_sizes_are_400_naming_the_parameter(
    client, platform_, auditor, query, parameter
):
    _fill(platform_, 4)
    client.get(f"{API}/checkpoint", headers=auditor)
    response = client.get(f"{API}/proofs/consistency?{query}", headers=auditor)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert parameter in response.json["errors"]["query"]


def test_an_unknown_entry_is_a_404_problem(client, auditor):
    response = client.get(f"{API}/events/999999", headers=auditor)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "999999" in response.json["detail"]


def _tamper(platform, index: int, **values) -> None:
    with platform.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == index).values(**values))


def test_verification_reports_an_edited_entry_by_its_index(client, platform_, auditor):
    indices = _fill(platform_, 8)
    good = client.get(f"{API}/verification", headers=auditor).json
    assert good["ok"] is True and good["first_bad"] is None and good["problems"] == []
    assert good["size"] > indices[-1]

    victim = indices[3]
    with platform_.sessions() as session:
        entry = session.get(AuditEvent, victim).entry
    _tamper(platform_, victim, entry=entry.replace('"n":3', '"n":4'))
    report = client.get(f"{API}/verification", headers=auditor).json
    assert report["ok"] is False and report["first_bad"] == victim
    assert any(f"entry {victim}" in problem for problem in report["problems"])
    detail = client.get(f"{API}/events/{victim}", headers=auditor).json
    assert detail["inclusion"]["verified"] is False


def test_verification_names_an_entry_whose_hash_was_recomputed(client, platform_, auditor):
    indices = _fill(platform_, 8)
    assert client.get(f"{API}/verification", headers=auditor).json["ok"] is True
    victim = indices[6]
    with platform_.sessions() as session:
        entry = session.get(AuditEvent, victim).entry.replace('"n":6', '"n":60')
    forged_leaf = hashlib.sha256(b"\x00" + entry.encode()).digest()
    _tamper(platform_, victim, entry=entry, leaf_hash=forged_leaf)
    report = client.get(f"{API}/verification", headers=auditor).json
    assert report["ok"] is False and report["first_bad"] == victim
    assert any("no new checkpoint" in problem for problem in report["problems"])
    checkpoint = client.get(f"{API}/checkpoint", headers=auditor)
    assert checkpoint.status_code == 409
    assert checkpoint.mimetype == "application/problem+json"
