"""``civic audit checkpoint|export|verify``: the tamper-evident log, offline."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from civicdata.audit.export import export_lines
from civicdata.audit.stored import check_stored_log
from civicdata.audit.tree import committed_size, make_checkpoint
from civicdata.audit.verify import verify_export
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.keys import SIGNING_PUBLIC_FILE


@click.group()
def audit() -> None:
    """The signed, append-only audit log."""


@audit.command("checkpoint")
@pass_civic
def checkpoint(civic: CivicContext) -> None:
    """Sign a checkpoint of the log as it stands and print it."""
    platform = civic.platform
    with platform.sessions() as session:
        cp = make_checkpoint(session, platform.keys.signing, platform.audit_origin)
        session.commit()
        click.echo(cp.note, nl=False)


@audit.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_civic
def export(civic: CivicContext, output: Path) -> None:
    """Checkpoint the log, then write its entries and that checkpoint to OUTPUT (JSON Lines)."""
    platform = civic.platform
    with platform.sessions() as session:
        make_checkpoint(session, platform.keys.signing, platform.audit_origin)
        session.commit()
        total = committed_size(session)
        with (
            output.open("w", encoding="utf-8") as fh,
            click.progressbar(length=total, label="exporting audit entries") as bar,
        ):
            for line in export_lines(session, platform.audit_origin, progress=bar.update):
                fh.write(line + "\n")
    click.echo(f"wrote {total} entries and the latest checkpoint to {output}")


@audit.command("verify")
@click.option(
    "--export",
    "export_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An export made by `civic audit export` (default: export the live log first).",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM public key (default: the instance's signing public key).",
)
@click.option(
    "--since-checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier checkpoint you kept, or a whole earlier export (to locate a fork at its"
    " first differing entry): the log must be consistent with it.",
)
@pass_civic
def verify(
    civic: CivicContext,
    export_file: Path | None,
    public_key: Path | None,
    since_checkpoint: Path | None,
) -> None:
    """Recompute every leaf and the root, check signatures and consistency; name the first bad entry."""
    key_path = public_key or civic.config.keys_dir / SIGNING_PUBLIC_FILE
    key = load_pem_public_key(key_path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise civic_error(f"{key_path} is not an Ed25519 public key")
    since = since_checkpoint.read_text(encoding="utf-8") if since_checkpoint else None
    if export_file is not None:
        with export_file.open(encoding="utf-8") as fh:
            result = verify_export((line.rstrip("\n") for line in fh), key, since)
    else:
        platform = civic.platform
        with platform.sessions() as session:
            make_checkpoint(session, platform.keys.signing, platform.audit_origin)
            session.commit()
            result = verify_export(export_lines(session, platform.audit_origin), key, since)
            check_stored_log(session, key, platform.audit_origin, result)
    if result.ok:
        click.echo(f"OK: {result.size} entries verified against the signed checkpoint")
        return
    if result.first_bad is not None:
        click.echo(f"FAILED at entry {result.first_bad}", err=True)
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)
