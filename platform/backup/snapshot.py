"""The audit log and key history a restore trusts: read before the database is replaced.

By default they come from the configured database itself (the log as it stands
now is the record of every erasure since the backup); after losing that
database, from an export (``civic audit export``) and a key history file
(``civic keys signing-history``) kept elsewhere. Either way the log must verify
against the history, reach at least as far as the backup, and contain the
backup's signed checkpoint as a prefix, or the restore is refused before
anything is touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicdata.audit.checkpoints import Checkpoint, CheckpointError
from civicdata.audit.export import export_lines
from civicdata.audit.keys import open_signed_checkpoint
from civicdata.audit.merkle import leaf_hash, root_hash
from civicdata.audit.tree import make_checkpoint
from civicdata.audit.verify import verify_export
from civicdata.backup.bundle import Manifest
from civicdata.context import Platform
from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError

ERASE_ACTION = "citizen.erase"


class RestoreRefused(RuntimeError):
    """The restore would not be safe; nothing was changed. The message says why."""


@dataclass(frozen=True, slots=True)
class LogSnapshot:
    """A verified audit log export and the key history it verified against."""

    lines: list[str]
    history: KeyHistory

    @property
    def origin(self) -> str:
        return str(json.loads(self.lines[0]).get("origin"))

    @property
    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines[1:-1]]

    @property
    def checkpoint(self) -> Checkpoint:
        note = json.loads(self.lines[-1])["checkpoint"]
        return open_signed_checkpoint(note, self.origin, self.history)

    @property
    def checkpoint_note(self) -> str:
        return str(json.loads(self.lines[-1])["checkpoint"])

    def erased_citizens(self) -> list[str]:
        """Every citizen an entry of the log records as erased, in log order."""
        erased = []
        for record in self.entries:
            entry = json.loads(record["entry"])
            if entry.get("action") == ERASE_ACTION and entry.get("decision") == "ok":
                erased.append(str(entry["details"].get("subject") or entry["resource"]))
        return list(dict.fromkeys(erased))


def from_database(platform: Platform, advance: Callable[[int], None]) -> LogSnapshot:
    """Checkpoint the configured database's log and export it, with its key history."""
    with platform.sessions() as session:
        make_checkpoint(session, platform.signing.current("audit").ed25519, platform.audit_origin)
        session.commit()
        lines = list(export_lines(session, platform.audit_origin, progress=advance))
    return LogSnapshot(lines, platform.signing.history(refresh=True))


def from_files(log_file: Path, keys_file: Path) -> LogSnapshot:
    """An exported log and a key history file kept apart from the lost database."""
    try:
        lines = log_file.read_text(encoding="utf-8").splitlines()
        history = KeyHistory.load(keys_file)
    except (OSError, UnicodeDecodeError, SigningKeyError) as exc:
        raise RestoreRefused(f"cannot read the log or key history: {exc}") from None
    return LogSnapshot(lines, history)


def check(snapshot: LogSnapshot, manifest: Manifest) -> None:
    """Refuse unless the log verifies and extends the log the backup was taken from."""
    result = verify_export(snapshot.lines, snapshot.history)
    if not result.ok:
        problems = "; ".join(result.problems[:3])
        raise RestoreRefused(
            f"the audit log does not verify, so erasures cannot be trusted: {problems}"
        )
    if manifest.audit_size > result.size:
        raise RestoreRefused(
            f"the backup's log has {manifest.audit_size} entries, the log given only {result.size}: "
            "it ends before the backup, so erasures since then are unknown (use a later export)"
        )
    if manifest.checkpoint is None:
        return
    try:
        taken = open_signed_checkpoint(manifest.checkpoint, snapshot.origin, snapshot.history)
    except CheckpointError as exc:
        raise RestoreRefused(f"the backup's checkpoint does not verify: {exc}") from None
    leaves = [leaf_hash(str(r["entry"]).encode("utf-8")) for r in snapshot.entries]
    if root_hash(leaves[: taken.size]) != taken.root:
        raise RestoreRefused("the backup was taken from another audit log than the one given")
