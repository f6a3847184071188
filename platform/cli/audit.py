"""``civic audit checkpoint|export|verify|vkey``: the tamper-evident log, offline and witnessed."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.export import export_lines
from civicdata.audit.stored import check_stored_log
from civicdata.audit.tree import committed_size
from civicdata.audit.verify import verify_export
from civicdata.cli.base import CivicContext, civic_error, pass_civic, published_history
from civicdata.witness.client import WitnessConfigError, checkpoint_and_witness, parse_witnesses
from civicdata.witness.cosignature import NOTE_ED25519, CosignatureError, Witness
from civicdata.witness.cosignature import vkey as note_vkey


@click.group()
def audit() -> None:
    """The signed, append-only audit log."""


@audit.command("checkpoint")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    help="Run as a schedule: a checkpoint every SECONDS (until interrupted).",
)
@click.option("--count", type=click.IntRange(min=1), help="With --every: stop after COUNT rounds.")
@pass_civic
def checkpoint(civic: CivicContext, every: int | None, count: int | None) -> None:
    """Sign a checkpoint of the log as it stands, have the witnesses cosign it, print it.

    Witnesses come from CIVIC_WITNESSES. Once, a refusal (the log no longer
    extends its last checkpoint, or a witness did not cosign) exits with status
    1; with --every, a witness's failure is reported and the schedule goes on.
    """
    platform = civic.platform
    witnesses = _witnesses(civic.config.witnesses)
    rounds = 0
    while True:
        try:
            done = checkpoint_and_witness(
                platform.sessions, platform.signing, platform.audit_origin, witnesses
            )
        except CheckpointError as exc:
            raise civic_error(f"checkpoint refused, run `civic audit verify`: {exc}") from None
        click.echo(done.note, nl=False)
        failed = [a for a in done.answers if not a.cosigned]
        for answer in done.answers:
            click.echo(f"witness {answer.witness}: {answer.message}", err=not answer.cosigned)
        rounds += 1
        if every is None:
            if failed:
                raise SystemExit(1)
            return
        if count is not None and rounds >= count:
            return
        time.sleep(every)


def _witnesses(raw: str) -> list[Witness]:
    try:
        return parse_witnesses(raw)
    except WitnessConfigError as exc:
        raise civic_error(str(exc)) from None


@audit.command("vkey")
@pass_civic
def vkey(civic: CivicContext) -> None:
    """Print the log's verifier key (C2SP signed-note), for witnesses' `--log`.

    It is that of the current audit signing key: after `civic keys
    rotate-signing --use audit`, give every witness the new verifier key.
    """
    platform = civic.platform
    click.echo(note_vkey(platform.audit_origin, NOTE_ED25519, _audit_key(civic).public_key()))


@audit.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_civic
def export(civic: CivicContext, output: Path) -> None:
    """Checkpoint the log (cosigned by the configured witnesses), then write its entries
    and that checkpoint with its cosignatures to OUTPUT (JSON Lines)."""
    platform = civic.platform
    try:
        done = checkpoint_and_witness(
            platform.sessions,
            platform.signing,
            platform.audit_origin,
            _witnesses(civic.config.witnesses),
        )
    except CheckpointError as exc:
        raise civic_error(f"checkpoint refused, run `civic audit verify`: {exc}") from None
    for answer in done.answers:
        if not answer.cosigned:
            click.echo(f"witness {answer.witness}: {answer.message}", err=True)
    with platform.sessions() as session:
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
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The published key history, as served at /.well-known/civic-keys "
    "(default: the instance's history, read from its database).",
)
@click.option(
    "--witnesses",
    "quorum",
    type=click.IntRange(min=0),
    default=0,
    help="Require valid cosignatures of at least K witnesses on the latest checkpoint.",
)
@click.option(
    "--witness-key",
    "witness_keys",
    multiple=True,
    help="A witness's verifier key (repeatable; default: those of CIVIC_WITNESSES).",
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
    keys_file: Path | None,
    since_checkpoint: Path | None,
    quorum: int,
    witness_keys: tuple[str, ...],
) -> None:
    """Recompute every leaf and the root, check signatures and consistency; name the first bad entry.

    Each signature is checked with the audit key it names, from the published
    key history; a key published for another use is refused.
    """
    history = published_history(civic, keys_file)
    since = since_checkpoint.read_text(encoding="utf-8") if since_checkpoint else None
    try:
        known = [Witness.parse(text) for text in witness_keys]
    except CosignatureError as exc:
        raise civic_error(f"--witness-key: {exc}") from None
    configured = _witnesses(civic.config.witnesses)
    trusted = known or configured
    if export_file is not None:
        with export_file.open(encoding="utf-8") as fh:
            lines: Iterable[str] = (line.rstrip("\n") for line in fh)
            result = verify_export(lines, history, since, trusted, quorum)
    else:
        platform = civic.platform
        try:
            done = checkpoint_and_witness(
                platform.sessions, platform.signing, platform.audit_origin, configured
            )
        except CheckpointError as exc:
            click.echo(f"no new checkpoint could be signed: {exc}", err=True)
        else:
            for answer in done.answers:
                if not answer.cosigned:
                    click.echo(f"witness {answer.witness}: {answer.message}", err=True)
        with platform.sessions() as session:
            lines = export_lines(session, platform.audit_origin)
            result = verify_export(lines, history, since, trusted, quorum)
            check_stored_log(session, history, platform.audit_origin, result)
    if result.ok:
        click.echo(f"OK: {result.size} entries verified against the signed checkpoint")
        return
    if result.first_bad is not None:
        click.echo(f"FAILED at entry {result.first_bad}", err=True)
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)


def _audit_key(civic: CivicContext) -> Ed25519PrivateKey:
    return civic.platform.signing.current("audit").ed25519
