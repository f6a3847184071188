"""The platform's side: submit each new checkpoint to the configured witnesses.

Witnesses come from ``CIVIC_WITNESSES``, a JSON list of ``{"url": ..., "key":
<verifier key>}``. For each witness the platform sends ``old <size>`` (the
size that witness last cosigned, as stored here), the RFC 6962 consistency
proof from there, and the signed checkpoint; a 409 names the witness's size
and the request is made again once from it. Only cosignature lines that verify
with the witness's key are stored. Every failure is reported, never swallowed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from civicdata.audit.export import witnessed_note
from civicdata.audit.queries import signed_checkpoint
from civicdata.audit.tree import prove_consistency
from civicdata.db import utcnow
from civicdata.models import AuditCheckpoint, AuditCosignature
from civicdata.signing.store import SigningKeys
from civicdata.witness.cosignature import CosignatureError, Witness
from civicdata.witness.server import SIZE_TYPE

WITNESSES_VARIABLE = "CIVIC_WITNESSES"
TIMEOUT_SECONDS = 10.0


class WitnessConfigError(ValueError):
    """``CIVIC_WITNESSES`` is malformed."""


def parse_witnesses(raw: str) -> list[Witness]:
    """The witnesses of ``CIVIC_WITNESSES`` (empty: none)."""
    if not raw.strip():
        return []
    try:
        items = json.loads(raw)
        if not isinstance(items, list):
            raise TypeError("not a list")
        return [Witness.parse(str(item["key"]), str(item["url"])) for item in items]
    except (ValueError, TypeError, KeyError, CosignatureError) as exc:
        raise WitnessConfigError(
            f'{WITNESSES_VARIABLE}: expected [{{"url": ..., "key": <vkey>}}, ...]: {exc}'
        ) from None


@dataclass(frozen=True, slots=True)
class Submitted:
    """What one witness answered."""

    witness: str
    cosigned: bool
    message: str


def submit_checkpoint(
    session: Session,
    checkpoint: AuditCheckpoint,
    witnesses: Sequence[Witness],
    timeout: float = TIMEOUT_SECONDS,
) -> list[Submitted]:
    """Ask every witness to cosign ``checkpoint``; store the cosignatures (caller commits)."""
    return [_submit(session, checkpoint, witness, timeout) for witness in witnesses]


def _last_cosigned(session: Session, witness: Witness) -> int:
    size = session.scalar(
        select(func.max(AuditCosignature.checkpoint_size)).where(
            AuditCosignature.witness == witness.name
        )
    )
    return int(size or 0)


def _submit(
    session: Session, checkpoint: AuditCheckpoint, witness: Witness, timeout: float
) -> Submitted:
    old = _last_cosigned(session, witness)
    if old == checkpoint.size and old:
        return Submitted(witness.name, True, "already cosigned")
    for _attempt in range(2):
        if old > checkpoint.size:
            return Submitted(witness.name, False, f"the witness holds a larger size ({old})")
        proof = prove_consistency(session, old, checkpoint.size) if old else []
        body = f"old {old}\n" + "".join(base64.b64encode(p).decode() + "\n" for p in proof)
        try:
            answer = requests.post(
                f"{witness.url}/add-checkpoint",
                data=(body + "\n" + checkpoint.note).encode(),
                timeout=timeout,
            )
        except requests.RequestException as exc:
            return Submitted(witness.name, False, f"unreachable: {exc}")
        if answer.status_code == 409 and answer.headers.get("Content-Type", "").startswith(
            SIZE_TYPE
        ):
            known = answer.text.strip()
            if not known.isdigit() or int(known) == old:
                return Submitted(witness.name, False, f"refused (409): {answer.text.strip()}")
            old = int(known)
            continue
        if answer.status_code != 200:
            return Submitted(
                witness.name, False, f"refused ({answer.status_code}): {answer.text.strip()}"
            )
        return _store(session, checkpoint, witness, answer.text)
    return Submitted(witness.name, False, "the witness's size kept changing")


def _store(
    session: Session, checkpoint: AuditCheckpoint, witness: Witness, answer: str
) -> Submitted:
    body = checkpoint.note.partition("\n\n")[0] + "\n"
    for line in answer.splitlines():
        try:
            witness.verify(body, line)
        except CosignatureError:
            continue  # other keys' lines are ignored, as C2SP requires
        session.add(
            AuditCosignature(
                checkpoint_size=checkpoint.size, witness=witness.name, line=line, at=utcnow()
            )
        )
        session.flush()
        return Submitted(witness.name, True, "cosigned")
    return Submitted(witness.name, False, "its answer holds no valid cosignature by its key")


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A round of the schedule: the latest checkpoint, its cosigned note, each answer."""

    size: int
    note: str
    answers: list[Submitted]


def checkpoint_and_witness(
    sessions: sessionmaker[Session],
    keys: SigningKeys,
    origin: str,
    witnesses: Sequence[Witness],
) -> Witnessed:
    """Sign a checkpoint if the log grew, then have the latest one cosigned by every witness.

    A new checkpoint is signed with the current audit key of ``keys``.

    A checkpoint signed meanwhile on demand (by the API or the portal) is
    submitted too. Raises ``CheckpointError`` if the log no longer extends its
    latest checkpoint.
    """
    with sessions() as session:
        checkpoint = signed_checkpoint(session, keys, origin)
        answers = submit_checkpoint(session, checkpoint, witnesses)
        session.commit()
        return Witnessed(checkpoint.size, witnessed_note(session, checkpoint), answers)


@dataclass(frozen=True, slots=True)
class ShownCosignature:
    """A stored cosignature as the auditor's views show it."""

    witness: str
    line: str
    at: datetime
    verified: bool  # it verifies with the key configured for that witness


def cosignatures_of(
    session: Session, checkpoint: AuditCheckpoint, witnesses: Sequence[Witness]
) -> list[ShownCosignature]:
    """The stored cosignatures of ``checkpoint``, each checked with its witness's key."""
    body = checkpoint.note.partition("\n\n")[0] + "\n"
    keys = {w.name: w for w in witnesses}
    shown = []
    for row in session.scalars(
        select(AuditCosignature)
        .where(AuditCosignature.checkpoint_size == checkpoint.size)
        .order_by(AuditCosignature.witness)
    ):
        try:
            verified = row.witness in keys and keys[row.witness].verify(body, row.line) >= 0
        except CosignatureError:
            verified = False
        shown.append(ShownCosignature(row.witness, row.line, row.at, verified))
    return shown


def latest_witnessed(session: Session) -> AuditCheckpoint | None:
    """The largest checkpoint that at least one witness cosigned."""
    size = session.scalar(select(func.max(AuditCosignature.checkpoint_size)))
    return None if size is None else session.get(AuditCheckpoint, size)
