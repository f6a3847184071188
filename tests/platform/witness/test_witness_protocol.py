"""The witness's add-checkpoint answers, as C2SP tlog-witness specifies them."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine

from civicdata.audit.checkpoints import Checkpoint, sign_checkpoint
from civicdata.audit.merkle import consistency_proof, leaf_hash, root_hash
from civicdata.witness.cosignature import (
    NOTE_ED25519,
    CosignatureError,
    Witness,
    parse_vkey,
    vkey,
    witness_vkey,
)
from civicdata.witness.server import WitnessService, create_witness_app

ORIGIN = "city.example/civic-audit"
LOG_KEY = Ed25519PrivateKey.generate()
LEAVES = [leaf_hash(bytes([i])) for i in range(12)]


def _note(size: int, leaves: list[bytes] = LEAVES, key: Ed25519PrivateKey = LOG_KEY) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root_hash(leaves[:size])), ORIGIN, key)


@pytest.fixture
def witness(tmp_path):
    key = Ed25519PrivateKey.generate()
    engine = create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    service = WitnessService("w.example/w", key, engine, {ORIGIN: (ORIGIN, LOG_KEY.public_key())})
    yield create_witness_app(service).test_client(), Witness("w.example/w", key.public_key())
    engine.dispose()


def _post(client, old: int, note: str, proof: list[bytes] = ()):  # type: ignore[no-untyped-def]
    lines = "".join(base64.b64encode(p).decode() + "\n" for p in proof)
    return client.post("/add-checkpoint", data=f"old {old}\n{lines}\n{note}")


def test_cosigns_the_first_checkpoint_then_only_consistent_growth(witness) -> None:
    client, known = witness
    first = _post(client, 0, _note(5))
    assert first.status_code == 200
    assert known.cosigns(_note(5) + first.text)
    grown = _post(client, 5, _note(9), consistency_proof(5, LEAVES[:9]))
    assert grown.status_code == 200 and known.cosigns(_note(9) + grown.text)
    assert _post(client, 9, _note(9)).status_code == 200  # the same checkpoint again
    forked = [*LEAVES[:7], leaf_hash(b"x"), *LEAVES[8:]]
    bad = _post(client, 9, _note(12, forked), consistency_proof(9, forked))
    assert bad.status_code == 422
    assert _post(client, 9, _note(9, forked)).status_code == 409  # same size, other root
    assert _post(client, 9, _note(12), consistency_proof(9, LEAVES)).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"old 01\n\n", 400),
        (b"no old line\n\n", 400),
        (b"old 0\nnot base64!\n\n", 400),
        (b"old 0\n" + b"\xff\n\n", 400),
    ],
)
def test_malformed_submissions_are_400(witness, body, status) -> None:
    client, _ = witness
    assert client.post("/add-checkpoint", data=body + _note(3).encode()).status_code == status


def test_unknown_logs_keys_and_sizes_are_refused(witness) -> None:
    client, _ = witness
    other = sign_checkpoint(Checkpoint("other/log", 3, root_hash(LEAVES[:3])), "other/log", LOG_KEY)
    assert _post(client, 0, other).status_code == 404
    assert _post(client, 0, _note(3, key=Ed25519PrivateKey.generate())).status_code == 403
    assert _post(client, 4, _note(3)).status_code == 400  # old beyond the checkpoint
    assert _post(client, 0, _note(3), [LEAVES[0]]).status_code == 422  # proof from 0


def test_verifier_keys_round_trip_and_reject_tampering() -> None:
    key = Ed25519PrivateKey.generate()
    text = witness_vkey("w.example/w", key.public_key())
    assert Witness.parse(text).vkey == text
    assert parse_vkey(vkey(ORIGIN, NOTE_ED25519, key.public_key()), NOTE_ED25519)[0] == ORIGIN
    name, _, blob = text.split("+", 2)
    with pytest.raises(CosignatureError):
        Witness.parse(f"{name}+{'0' * 8}+{blob}")
    with pytest.raises(CosignatureError):
        parse_vkey(text, NOTE_ED25519)  # a cosigner key is not a log key
