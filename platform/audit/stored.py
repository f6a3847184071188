"""Checks that only the live database allows, beyond what an export shows.

An export carries the signed entry texts; the database also holds the columns
auditors filter on and every checkpoint signed so far. :func:`check_stored_log`
compares each entry's columns with its signed text and bisects over the
stored checkpoints for the first entry a rewritten history changed. ``civic
audit verify`` (on the live log) and the portal's and API's verification run it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.audit.checkpoints import Checkpoint, CheckpointError
from civicdata.audit.columns import check_columns
from civicdata.audit.forks import locate_fork
from civicdata.audit.keys import open_signed_checkpoint
from civicdata.audit.tree import committed_size, leaf_hashes
from civicdata.audit.verify import Verification
from civicdata.models import AuditCheckpoint
from civicdata.signing.history import KeyHistory


def check_stored_log(
    session: Session, history: KeyHistory, origin: str, result: Verification
) -> None:
    """Add to ``result`` every column that disagrees with its entry, and a located fork."""
    size = committed_size(session)
    check_columns(session, size, result)
    try:
        leaves = leaf_hashes(session, size)
    except CheckpointError as exc:
        result.fail(f"the stored log cannot be read as a tree: {exc}")
        return
    fork = locate_fork(leaves, _stored_checkpoints(session, history, origin, result))
    if fork is not None:
        result.fail(fork.describe(), fork.first if fork.exact else None)


def _stored_checkpoints(
    session: Session, history: KeyHistory, origin: str, result: Verification
) -> list[Checkpoint]:
    """Every stored checkpoint whose signature by a published audit key holds; a bad one is a problem."""
    opened = []
    for size, note in session.execute(
        select(AuditCheckpoint.size, AuditCheckpoint.note).order_by(AuditCheckpoint.size)
    ):
        try:
            checkpoint = open_signed_checkpoint(note, origin, history)
        except CheckpointError as exc:
            result.fail(f"stored checkpoint of size {size}: {exc}")
            continue
        if checkpoint.size != size:
            result.fail(f"stored checkpoint of size {size} signs size {checkpoint.size}")
            continue
        opened.append(checkpoint)
    return opened
