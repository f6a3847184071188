"""``civic ingest FILE --dataset D``: an operator loads a file of records.

The same validation, idempotency and encrypted writer as the API: the file is
streamed (never read whole), a progress bar follows the bytes read, and the
summary lists every error. Exits non-zero when any line was rejected (in
strict mode nothing is then stored). Source ids are those of the ``operator``
source, so loading the same file twice stores each record once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from civicdata.cli.base import CivicContext, civic_error, pass_civic

OPERATOR = "operator"


def _format_of(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    return "csv" if path.suffix.lower() == ".csv" else "ndjson"


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", required=True, help="Catalog dataset the records belong to.")
@click.option(
    "--format", "format_", type=click.Choice(["ndjson", "csv"]), help="Default: by suffix."
)
@click.option(
    "--mode",
    type=click.Choice(["strict", "partial"]),
    default="strict",
    show_default=True,
    help="strict: all or nothing; partial: store the valid records, list the rest.",
)
@click.option("--idempotency-key", help="Name this load so that re-running it replays its result.")
@pass_civic
def ingest(
    civic: CivicContext,
    file: Path,
    dataset: str,
    format_: str | None,
    mode: str,
    idempotency_key: str | None,
) -> None:
    """Load FILE (NDJSON, or CSV with a header line) into DATASET, encrypted per citizen."""
    from civicdata import ingestion

    platform = civic.platform
    spec = platform.catalog.datasets.get(dataset)
    if spec is None:
        known = ", ".join(sorted(platform.catalog.datasets))
        raise civic_error(f"--dataset: no dataset {dataset!r} in the catalog (known: {known})")
    try:
        key = ingestion.checked_key(idempotency_key, required=False)
    except ingestion.InvalidIdempotencyKey as exc:
        raise civic_error(f"--idempotency-key: {exc}") from None
    upload = ingestion.Upload(OPERATOR, OPERATOR, spec, _format_of(file, format_), mode, key)
    try:
        with (
            file.open("rb") as stream,
            click.progressbar(length=file.stat().st_size, label=f"ingesting {file.name}") as bar,
        ):
            done = 0

            def advance(read: int) -> None:
                nonlocal done
                bar.update(read - done)
                done = read

            stored = ingestion.ingest(platform, upload, stream, progress=advance)
    except (ingestion.UploadTooLarge, ingestion.ConcurrentUpload) as exc:
        raise civic_error(str(exc)) from None
    except ingestion.IdempotencyConflict as exc:
        raise civic_error(f"--idempotency-key: {exc}") from None
    _summarise(json.loads(stored.body))


def _summarise(report: dict[str, Any]) -> None:
    summary = report.get("ingestion", report)
    click.echo(
        f"{summary['id']}: {summary['status']}; received {summary['received']}, "
        f"stored {summary['stored']}, duplicates {summary['duplicates']}, "
        f"rejected {summary['rejected']}"
    )
    errors = report["errors"]
    for error in errors:
        where = f"line {error['line']}" if "line" in error else "body"
        field = f" {error['field']}:" if "field" in error else ""
        click.echo(f"  {where}:{field} {error['message']}", err=True)
    if report["errors_truncated"]:
        click.echo("  (more errors not listed)", err=True)
    if errors:
        raise click.exceptions.Exit(1)
