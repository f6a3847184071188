"""The witness's HTTP service: C2SP ``tlog-witness`` ``add-checkpoint``.

``POST /add-checkpoint`` takes ``old <size>``, the consistency proof lines,
an empty line and the signed checkpoint. The witness checks the log's
signature (403), the origin (404), the sizes (400), that ``old`` is the size
it last cosigned (409, body ``<size>\\n`` as ``text/x.tlog.size``), the RFC 6962
consistency proof (422) or, at equal sizes, the root (409); then it records
the checkpoint and answers with its cosignature line. ``GET /`` names the
witness and its verifier key.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, Response, jsonify, request
from sqlalchemy import Engine

from civicdata.audit.checkpoints import Checkpoint, CheckpointError, open_checkpoint
from civicdata.audit.merkle import verify_consistency
from civicdata.witness.cosignature import cosign, witness_vkey
from civicdata.witness.state import advance, create_schema, latest

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"
log = logging.getLogger(__name__)


@dataclass
class WitnessService:
    """A witness: its name and key, its storage, and the logs (origin -> key) it follows."""

    name: str
    key: Ed25519PrivateKey
    engine: Engine
    logs: dict[str, tuple[str, Ed25519PublicKey]] = field(default_factory=dict)


class Refusal(Exception):
    """An answer other than a cosignature: status, text, content type."""

    def __init__(self, status: int, text: str, content_type: str = "text/plain") -> None:
        super().__init__(text)
        self.status, self.text, self.content_type = status, text, content_type


@dataclass(frozen=True, slots=True)
class Submission:
    old: int
    proof: list[bytes]
    note: str


def parse_submission(body: bytes) -> Submission:
    """The request body as C2SP specifies it; a 400 for anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "the body is not UTF-8\n") from None
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise Refusal(400, "expected an 'old <size>' line, proof lines, an empty line\n")
    size_text = lines[0][4:]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise Refusal(400, "the old size is not a decimal without leading zeroes\n")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refusal(400, f"more than {MAX_PROOF_LINES} proof lines\n")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error:
        raise Refusal(400, "a proof line is not base64\n") from None
    if any(len(step) != 32 for step in proof):
        raise Refusal(400, "a proof line is not a 32-byte hash\n")
    return Submission(int(size_text), proof, note)


def add_checkpoint(service: WitnessService, submission: Submission) -> str:
    """Check a submission against the stored state; record and cosign it, or refuse."""
    origin = submission.note.split("\n", 1)[0]
    if origin not in service.logs:
        raise Refusal(404, f"unknown log origin {origin!r}\n")
    key_name, public_key = service.logs[origin]
    try:
        checkpoint = open_checkpoint(submission.note, key_name, public_key)
    except CheckpointError as exc:
        raise Refusal(403, f"{exc}\n") from None
    if checkpoint.origin != origin:
        raise Refusal(403, "the checkpoint's origin is not its log's\n")
    if submission.old > checkpoint.size:
        raise Refusal(400, "the old size exceeds the checkpoint's size\n")
    stored = latest(service.engine, origin)
    stored_size = stored.size if stored is not None else 0
    if submission.old != stored_size:
        raise Refusal(409, f"{stored_size}\n", SIZE_TYPE)
    _check_consistency(submission, checkpoint, stored.root if stored is not None else None)
    body = checkpoint.body()
    if not advance(service.engine, origin, submission.old, checkpoint.size, checkpoint.root, body):
        now = latest(service.engine, origin)
        raise Refusal(409, f"{now.size if now else 0}\n", SIZE_TYPE)
    log.info("cosigned %s at size %d", origin, checkpoint.size)
    return cosign(body, service.name, service.key, int(time.time()))


def _check_consistency(submission: Submission, checkpoint: Checkpoint, root: bytes | None) -> None:
    old, proof = submission.old, submission.proof
    if old == 0:
        if proof:
            raise Refusal(422, "the proof must be empty from size 0\n")
        return
    assert root is not None  # a stored size above 0 has a root
    if old == checkpoint.size:
        if proof or root != checkpoint.root:
            log.warning("fork of %s at size %d refused", checkpoint.origin, old)
            raise Refusal(409, f"{old}\n", SIZE_TYPE)
        return
    if not verify_consistency(old, checkpoint.size, root, checkpoint.root, proof):
        log.warning(
            "inconsistent checkpoint of %s (%d -> %d)", checkpoint.origin, old, checkpoint.size
        )
        raise Refusal(422, "the consistency proof does not verify: refusing a fork\n")


def create_witness_app(service: WitnessService) -> Flask:
    """The witness's Flask application (serve it with ``civic witness serve`` or gunicorn)."""
    create_schema(service.engine)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    @app.get("/")
    def about() -> Response:
        return jsonify(
            name=service.name,
            vkey=witness_vkey(service.name, service.key.public_key()),
            logs=sorted(service.logs),
        )

    @app.post("/add-checkpoint")
    def add() -> Response:
        try:
            line = add_checkpoint(service, parse_submission(request.get_data()))
        except Refusal as refusal:
            return Response(refusal.text, refusal.status, content_type=refusal.content_type)
        return Response(line, 200, content_type="text/plain; charset=utf-8")

    return app
