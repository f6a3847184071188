"""Checking a checkpoint an auditor kept against the log as it stands now.

The auditor pastes the signed note they saved on an earlier visit; its
signature is checked with the log's public key, and an RFC 9162 consistency
proof from its size to the latest checkpoint is built from the stored log and
verified against both signed roots, so the auditor sees the proof itself, not
only a verdict. A proof that fails means the history was rewritten (or the
log rolled back) since the auditor kept their checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicdata.audit.checkpoints import Checkpoint, CheckpointError
from civicdata.audit.keys import open_signed_checkpoint
from civicdata.audit.merkle import verify_consistency
from civicdata.audit.queries import signed_checkpoint
from civicdata.audit.tree import prove_consistency
from civicdata.signing.store import SigningKeys

MAX_NOTE = 4000


@dataclass(frozen=True, slots=True)
class KeptCheck:
    """The kept checkpoint, the latest one, the proof between them and the verdict."""

    kept: Checkpoint
    latest_size: int
    latest_root: bytes
    proof: list[bytes]
    consistent: bool
    problem: str | None


def check_kept(session: Session, keys: SigningKeys, origin: str, note: str) -> KeptCheck:
    """Verify ``note`` and prove the current log extends it; ``CheckpointError`` if unreadable."""
    text = note.replace("\r\n", "\n").strip() + "\n"
    if len(text) > MAX_NOTE:
        raise CheckpointError(f"a checkpoint is a few lines, not {len(text)} characters")
    kept = open_signed_checkpoint(text, origin, keys.history(refresh=True))
    latest = signed_checkpoint(session, keys, origin)
    if kept.size > latest.size:
        rolled_back = f"the log has {latest.size} entries, fewer than your checkpoint's {kept.size}: rolled back"
        return KeptCheck(kept, latest.size, latest.root_hash, [], False, rolled_back)
    try:
        proof = prove_consistency(session, kept.size, latest.size)
    except CheckpointError as exc:
        return KeptCheck(kept, latest.size, latest.root_hash, [], False, str(exc))
    consistent = verify_consistency(kept.size, latest.size, kept.root, latest.root_hash, proof)
    problem = (
        None if consistent else "the log does not extend your checkpoint: history was rewritten"
    )
    return KeptCheck(kept, latest.size, latest.root_hash, proof, consistent, problem)
