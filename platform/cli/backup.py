"""``civic backup -o FILE`` and ``civic restore FILE``: backups that honour erasure."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from civicdata.audit.checkpoints import CheckpointError
from civicdata.backup.create import take_backup
from civicdata.backup.database import BackupError
from civicdata.backup.restore import restore_backup
from civicdata.backup.snapshot import LogSnapshot, RestoreRefused, from_database, from_files
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.signing.material import SigningKeyError


class _Progress:
    """Steps as lines; database copy and erasure replay as a running percentage."""

    def __init__(self) -> None:
        self._shown = -1

    def step(self, message: str) -> None:
        self._shown = -1
        click.echo(message)

    def advance(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != self._shown:
            self._shown = percent
            click.echo(f"\r  {percent:3d}% ({done}/{total})", nl=percent == 100)


@click.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_civic
def backup(civic: CivicContext, output: Path) -> None:
    """Write a backup of the database to OUTPUT (no master key, HSM content or private key)."""
    progress = _Progress()
    progress.step("checkpointing the audit log and copying the database")
    try:
        manifest = take_backup(civic.platform, output, progress.advance)
    except (BackupError, SigningKeyError) as exc:
        raise civic_error(f"backup: {exc}") from None
    click.echo(f"wrote {output}: {manifest.dialect} database, audit log at {manifest.audit_size}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--log",
    "log_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An audit log export (`civic audit export`) to replay erasures from, when the "
    "configured database is lost; default: the configured database's own log.",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The key history (`civic keys signing-history -o`) to verify --log with.",
)
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@pass_civic
def restore(
    civic: CivicContext, file: Path, log_file: Path | None, keys_file: Path | None, yes: bool
) -> None:
    """Replace the database by backup FILE, then replay every erasure recorded since.

    Refuses, before touching anything, if the audit log does not verify or
    does not extend the log the backup was taken from. Stop the servers first.
    """
    if (log_file is None) != (keys_file is None):
        raise civic_error("restore: --log and --keys go together")
    progress = _Progress()
    try:
        snapshot = _snapshot(civic, progress, log_file, keys_file)
        if not yes:
            click.confirm(f"Replace the database with {file}?", abort=True)
        done = restore_backup(civic.platform, file, snapshot, progress)
    except RestoreRefused as exc:
        raise civic_error(f"restore refused, nothing changed: {exc}") from None
    except (BackupError, SigningKeyError) as exc:
        raise civic_error(f"restore failed: {exc}") from None
    click.echo(
        f"restored the backup of {done.backup_taken_at}: log {done.backup_log_size} -> "
        f"{done.log_size} entries, {done.erasures_replayed} erased citizen(s) erased again"
    )


def _snapshot(
    civic: CivicContext, progress: _Progress, log_file: Path | None, keys_file: Path | None
) -> LogSnapshot:
    if log_file is not None and keys_file is not None:
        progress.step(f"reading the audit log {log_file} and key history {keys_file}")
        return from_files(log_file, keys_file)
    progress.step("reading the configured database's audit log")
    counter = {"done": 0}

    def advance(step: int) -> None:
        counter["done"] += step
        if counter["done"] % 1000 == 0:
            click.echo(f"\r  {counter['done']} entries", nl=False)

    try:
        return from_database(civic.platform, advance)
    except (SQLAlchemyError, SigningKeyError, CheckpointError) as exc:
        raise RestoreRefused(
            f"cannot read the configured database's audit log ({exc}); "
            "give an export with --log and --keys"
        ) from exc
