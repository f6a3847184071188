"""Copying the configured database to a file and back, with the database's own tools.

PostgreSQL goes through ``pg_dump --format=custom`` and ``pg_restore --clean
--single-transaction`` (the PostgreSQL client must match the server's major
version); SQLite through its online backup API, which copies a consistent
snapshot page by page while the platform keeps running.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

Progress = Callable[[int, int], None]  # (done, total) pages or steps
SQLITE_PAGES_PER_STEP = 256


class BackupError(RuntimeError):
    """A backup or restore step failed; the message names the step and the cause."""


def dialect_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


def dump(url: str, target: Path, progress: Progress) -> None:
    """Write a consistent copy of the database at ``url`` to ``target``."""
    if dialect_of(url) == "sqlite":
        _sqlite_copy(_sqlite_path(url), target, progress)
        return
    progress(0, 1)
    _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url)
    progress(1, 1)


def load(url: str, source: Path, progress: Progress) -> None:
    """Replace the database at ``url`` by the copy in ``source``."""
    if dialect_of(url) == "sqlite":
        _sqlite_copy(source, _sqlite_path(url), progress)
        return
    progress(0, 1)
    options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run("pg_restore", [*options, "--exit-on-error", str(source)], url)
    progress(1, 1)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(source: Path, target: Path, progress: Progress) -> None:
    if not source.exists():
        raise BackupError(f"SQLite database {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(
            dst,
            pages=SQLITE_PAGES_PER_STEP,
            progress=lambda _status, remaining, total: progress(total - remaining, total),
        )
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup from {source} to {target}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _run(tool: str, arguments: list[str], url: str) -> None:
    """Run a PostgreSQL client tool against ``url`` (the password through the environment)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    target = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False
    )
    try:
        done = subprocess.run(  # noqa: S603 - fixed tool, arguments built here
            [tool, *arguments, f"--dbname={target}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(f"{tool} is not installed (install the PostgreSQL client)") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")
