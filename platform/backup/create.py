"""``civic backup``: a consistent copy of the database with the audit checkpoint it starts from."""

from __future__ import annotations

import tempfile
from pathlib import Path

from civicdata.audit.tree import make_checkpoint
from civicdata.backup import bundle
from civicdata.backup.database import Progress, dialect_of, dump
from civicdata.context import Platform
from civicdata.db import utcnow


def take_backup(platform: Platform, output: Path, progress: Progress) -> bundle.Manifest:
    """Checkpoint the log, copy the database, write both to ``output``."""
    url = platform.config.database_url
    dialect = dialect_of(url)
    with platform.sessions() as session:
        checkpoint = make_checkpoint(
            session, platform.signing.current("audit").ed25519, platform.audit_origin
        )
        session.commit()
        size, note = checkpoint.size, checkpoint.note
    manifest = bundle.Manifest(
        format=bundle.FORMAT,
        dialect=dialect,
        taken_at=utcnow().isoformat(),
        audit_size=size,
        checkpoint=note,
    )
    with tempfile.TemporaryDirectory(prefix="civic-backup-") as folder:
        copy = Path(folder) / bundle.DATABASE[dialect]
        dump(url, copy, progress)
        bundle.write(output, manifest, copy)
    return manifest
