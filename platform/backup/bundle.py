"""The backup file: a ZIP holding the database copy and a manifest.

``manifest.json`` names the format, the database dialect, when the copy was
taken, and the audit log's size with the checkpoint signed just before the
copy. ``civic restore`` reads the manifest first: it checks, before touching
the database, that the backup belongs to the log it will replay erasures from.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from civicdata.backup.database import BackupError

FORMAT = "civic-backup/v1"
MANIFEST = "manifest.json"
DATABASE = {"postgresql": "database.pgdump", "sqlite": "database.sqlite"}


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds and where it stands in the audit log."""

    format: str
    dialect: str
    taken_at: str
    audit_size: int
    checkpoint: str | None  # the signed note of the log's first ``audit_size`` entries
    holds_no_keys: str = (
        "no master keys, no HSM contents, no private signing keys: "
        "only data keys wrapped by master keys, and public signing keys"
    )


def write(output: Path, manifest: Manifest, database_file: Path) -> None:
    """Write the bundle (``pg_dump`` output is already compressed, so stored as is)."""
    compression = zipfile.ZIP_STORED if manifest.dialect == "postgresql" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(output, "w", compression=compression) as bundle:
        bundle.writestr(MANIFEST, json.dumps(asdict(manifest), indent=2))
        bundle.write(database_file, DATABASE[manifest.dialect])


def read_manifest(path: Path) -> Manifest:
    try:
        with zipfile.ZipFile(path) as bundle:
            data = json.loads(bundle.read(MANIFEST))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupError(f"{path} is not a civic backup: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} backup")
    try:
        return Manifest(**data)
    except TypeError as exc:
        raise BackupError(f"{path}: malformed manifest: {exc}") from None


def extract_database(path: Path, manifest: Manifest, folder: Path) -> Path:
    """Copy the database file out of the bundle into ``folder``; return its path."""
    name = DATABASE[manifest.dialect]
    target = folder / name
    with zipfile.ZipFile(path) as bundle, bundle.open(name) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target
