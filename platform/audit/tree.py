"""The stored log as a Merkle tree: checkpoints and proofs over committed entries."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.audit.checkpoints import Checkpoint, CheckpointError, sign_checkpoint
from civicdata.audit.merkle import (
    consistency_proof,
    inclusion_proof,
    root_hash,
    verify_consistency,
)
from civicdata.db import utcnow
from civicdata.models import AuditCheckpoint, AuditEvent, AuditHead


def committed_size(session: Session) -> int:
    """The number of committed entries (the head row as last committed)."""
    size = session.execute(select(AuditHead.size).where(AuditHead.id == 1)).scalar_one_or_none()
    return size or 0


def leaf_hashes(session: Session, size: int) -> list[bytes]:
    """Leaf hashes of entries ``0 .. size-1``; a gap is an error, never skipped."""
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.leaf_hash)
        .where(AuditEvent.id < size)
        .order_by(AuditEvent.id)
    ).all()
    if len(rows) != size or (rows and rows[-1][0] != size - 1):
        raise CheckpointError(f"the stored log has a gap below index {size}")
    return [leaf for _, leaf in rows]


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)
    ).first()


def make_checkpoint(session: Session, key: Ed25519PrivateKey, origin: str) -> AuditCheckpoint:
    """Sign a checkpoint of the committed log, after proving it extends the latest one.

    Returns the latest checkpoint unchanged when the log has not grown. Raises
    :class:`CheckpointError` if the stored entries no longer match an earlier
    checkpoint (a rewritten history): that must never be papered over.
    """
    size = committed_size(session)
    previous = latest_checkpoint(session)
    if previous is not None and previous.size == size:
        return previous
    leaves = leaf_hashes(session, size)
    root = root_hash(leaves)
    if previous is not None:
        proof = consistency_proof(previous.size, leaves)
        if not verify_consistency(previous.size, size, previous.root_hash, root, proof):
            raise CheckpointError(
                f"the log is not consistent with checkpoint {previous.size}: history was rewritten"
            )
    checkpoint = AuditCheckpoint(
        size=size,
        root_hash=root,
        at=utcnow(),
        note=sign_checkpoint(Checkpoint(origin, size, root), origin, key),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def prove_inclusion(session: Session, index: int, size: int) -> list[bytes]:
    """Audit path of entry ``index`` in the tree of the first ``size`` entries."""
    return inclusion_proof(index, leaf_hashes(session, size))


def prove_consistency(session: Session, first: int, second: int) -> list[bytes]:
    """Proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""
    return consistency_proof(first, leaf_hashes(session, second))
