"""``civic restore``: put a backup back, then make it as if every later erasure had happened.

Order of work, each step refusing before the next if it cannot be done safely:

1. read the backup's manifest and check the log snapshot against it
   (:func:`civicdata.backup.snapshot.check`): nothing is touched otherwise;
2. save the snapshot (log export and key history) into the instance folder,
   so that a restore interrupted later can be re-run with ``--log``/``--keys``;
3. replace the database with the backup, and migrate it to the current schema;
4. publish again every signing key the backup does not know (rotated since);
5. append the audit entries written since the backup, and its latest
   checkpoint, so the log is whole again; replay every erasure in the log
   (data key destroyed, records, identity and look-ups deleted, account
   closed); record the restore in the log — all in one transaction.
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicdata import migrations
from civicdata.audit import record_event
from civicdata.audit.columns import columns_of
from civicdata.audit.merkle import leaf_hash
from civicdata.audit.tree import committed_size, latest_checkpoint, leaf_hashes
from civicdata.backup import bundle
from civicdata.backup.database import BackupError, dialect_of, load
from civicdata.backup.snapshot import LogSnapshot, RestoreRefused, check
from civicdata.consents.erasure import replay_erasure
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import AuditCheckpoint, AuditEvent, AuditHead, SigningKeyRecord


class Progress(Protocol):
    def step(self, message: str) -> None: ...

    def advance(self, done: int, total: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did."""

    backup_taken_at: str
    backup_log_size: int
    log_size: int
    entries_carried: int
    keys_published: int
    erasures_replayed: int
    saved_snapshot: Path


def restore_backup(
    platform: Platform, path: Path, snapshot: LogSnapshot, progress: Progress
) -> Restored:
    """Restore ``path`` into the configured database; see the module docstring."""
    url = platform.config.database_url
    manifest = bundle.read_manifest(path)
    if manifest.dialect != dialect_of(url):
        raise RestoreRefused(
            f"the backup is of a {manifest.dialect} database, not {dialect_of(url)}"
        )
    progress.step(f"checking the audit log ({len(snapshot.entries)} entries) against the backup")
    check(snapshot, manifest)
    saved = _save(platform, snapshot)
    progress.step(f"saved the log and key history to {saved} (re-run with them if interrupted)")
    progress.step(f"restoring the database from the backup of {manifest.taken_at}")
    platform.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="civic-restore-") as folder:
        load(url, bundle.extract_database(path, manifest, Path(folder)), progress.advance)
    migrations.upgrade(url, blind_index=platform.keys.blind_index)
    platform.engine.dispose()
    keys = _publish_keys(platform, snapshot)
    progress.step(f"published {keys} signing key(s) made since the backup")
    platform.signing.history(refresh=True)
    with platform.sessions() as session:
        restored_size = _continue_log(session, snapshot)
        carried = len(snapshot.entries) - restored_size
        progress.step(f"carried {carried} audit entries written since the backup")
        erased = snapshot.erased_citizens()
        replayed = 0
        for done, citizen_id in enumerate(erased, 1):
            replayed += replay_erasure(platform, session, citizen_id)
            progress.advance(done, len(erased))
        progress.step(
            f"replayed {len(erased)} erasure(s); {replayed} citizen(s) came back and were erased again"
        )
        record_event(
            session,
            actor="operator",
            action="database.restore",
            resource=manifest.taken_at,
            backup_log_size=restored_size,
            erasures_replayed=replayed,
        )
        session.commit()
        size = committed_size(session)
    return Restored(manifest.taken_at, restored_size, size, carried, keys, replayed, saved)


def _save(platform: Platform, snapshot: LogSnapshot) -> Path:
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    folder = platform.config.instance_path / f"restore-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "audit-log.jsonl").write_text("\n".join(snapshot.lines) + "\n", encoding="utf-8")
    history = json.dumps(snapshot.history.document(), indent=2)
    (folder / "civic-keys.json").write_text(history, encoding="utf-8")
    return folder


def _publish_keys(platform: Platform, snapshot: LogSnapshot) -> int:
    """Insert the history's keys the restored database lacks (their periods as published)."""
    with platform.sessions() as session:
        known = set(session.scalars(select(SigningKeyRecord.kid)))
        for key in snapshot.history.keys:
            if key.kid in known:
                session.execute(
                    update(SigningKeyRecord)
                    .where(SigningKeyRecord.kid == key.kid)
                    .values(not_after=key.not_after)
                )
                continue
            session.add(
                SigningKeyRecord(
                    kid=key.kid,
                    use=key.use,
                    algorithm=key.algorithm,
                    public_key_pem=key.public_key_pem,
                    not_before=key.not_before,
                    not_after=key.not_after,
                )
            )
        session.commit()
        return len([key for key in snapshot.history.keys if key.kid not in known])


def _continue_log(session: Session, snapshot: LogSnapshot) -> int:
    """Append the snapshot's entries beyond the restored log; return the restored log's size."""
    entries = snapshot.entries
    restored = committed_size(session)
    if restored > len(entries):
        raise BackupError(
            f"the restored log has {restored} entries, the saved log {len(entries)}: "
            "re-run with a later export (--log)"
        )
    ours = [leaf_hash(str(r["entry"]).encode("utf-8")) for r in entries[:restored]]
    if leaf_hashes(session, restored) != ours:
        raise BackupError("the restored log is not a prefix of the saved log: re-run the restore")
    session.add_all(_event(record) for record in entries[restored:])
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, size=len(entries)))
    else:
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(size=len(entries)))
    checkpoint = snapshot.checkpoint
    latest = latest_checkpoint(session)
    if latest is None or latest.size < checkpoint.size:
        session.add(
            AuditCheckpoint(
                size=checkpoint.size,
                root_hash=checkpoint.root,
                at=utcnow(),
                note=snapshot.checkpoint_note,
            )
        )
    session.flush()
    return restored


def _event(record: dict[str, Any]) -> AuditEvent:
    """A stored entry rebuilt from its signed text, exactly as it was written.

    Its filterable columns are derived from that text, as the log derives them
    when appending (:func:`civicdata.audit.columns.columns_of`).
    """
    return AuditEvent(
        id=record["index"],
        entry=record["entry"],
        leaf_hash=bytes.fromhex(record["leaf_hash"]),
        signature=base64.b64decode(record["signature"]),
        **columns_of(record["entry"]),
    )
