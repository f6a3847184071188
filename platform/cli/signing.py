"""``civic keys rotate-signing`` and ``civic keys signing-history``: signing keys per use."""

from __future__ import annotations

import json
from pathlib import Path

import click

from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.signing.material import USES, SigningKeyError


@click.command("rotate-signing")
@click.option("--use", "use", type=click.Choice(USES), required=True, help="Which key to rotate.")
@pass_civic
def rotate_signing(civic: CivicContext, use: str) -> None:
    """Start signing USE with a new key; the old key stays published and verifiable.

    The new private key is written to this node's keys/signing/ folder: every
    node must share that folder (or get the file) before it signs again.
    """
    try:
        signer = civic.platform.signing.rotate(use)
    except SigningKeyError as exc:
        raise civic_error(f"rotate-signing --use {use}: {exc}") from None
    click.echo(f"new {use} signing key {signer.kid}; earlier {use} keys stay in the history")


@click.command("signing-history")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the history here (default: print it).",
)
@pass_civic
def signing_history(civic: CivicContext, output: Path | None) -> None:
    """The published key history (as at /.well-known/civic-keys), for offline verification."""
    try:
        document = civic.platform.signing.history(refresh=True).document()
    except SigningKeyError as exc:
        raise civic_error(f"key history: {exc}") from None
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(document['keys'])} key(s) to {output}")
