"""Exporting the log for offline verification, as JSON Lines.

Line 1 is a header naming the format and the log; then one line per entry
(index, canonical entry text, leaf hash, entry signature); the last line holds
the latest signed checkpoint, with the cosignature lines of the witnesses that
cosigned it. The verifier needs nothing else but the public key (and the
witnesses' keys, to require their cosignatures).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.audit.tree import latest_checkpoint
from civicdata.models import AuditCheckpoint, AuditCosignature, AuditEvent

EXPORT_FORMAT = "civic-audit-export/v1"


def export_lines(
    session: Session, origin: str, progress: Callable[[int], None] | None = None
) -> Iterator[str]:
    """Yield the export, entries up to the latest checkpoint, streaming from the database."""
    checkpoint = latest_checkpoint(session)
    size = checkpoint.size if checkpoint is not None else 0
    yield json.dumps({"format": EXPORT_FORMAT, "origin": origin, "size": size})
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.entry, AuditEvent.leaf_hash, AuditEvent.signature)
        .where(AuditEvent.id < size)
        .order_by(AuditEvent.id)
        .execution_options(yield_per=2000)
    )
    for index, entry, leaf, signature in rows:
        yield json.dumps(
            {
                "index": index,
                "entry": entry,
                "leaf_hash": leaf.hex(),
                "signature": base64.b64encode(signature).decode(),
            },
            ensure_ascii=False,
        )
        if progress is not None:
            progress(1)
    note = witnessed_note(session, checkpoint) if checkpoint is not None else None
    yield json.dumps({"checkpoint": note})


def witnessed_note(session: Session, checkpoint: AuditCheckpoint) -> str:
    """The checkpoint's signed note with every stored witness cosignature line appended."""
    lines = session.scalars(
        select(AuditCosignature.line)
        .where(AuditCosignature.checkpoint_size == checkpoint.size)
        .order_by(AuditCosignature.witness)
    )
    return checkpoint.note + "".join(line + "\n" for line in lines)
