"""``civic releases verify FILE``: check a published release's signature offline.

FILE is a release as the API returns it (``GET /api/v1/releases/<id>``): the
``release`` document and its ``signature``, which names the key id; or a public
release as the transparency mirror returns it
(``GET /api/v1/transparency/releases/<id>``), whose signature ``covers`` the
public-release context. The key is taken from the published key history and
refused unless it is a releases key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import click
from cryptography.exceptions import InvalidSignature

from civicdata.cli.base import CivicContext, pass_civic, published_history
from civicdata.releases import publication, signing
from civicdata.signing.material import SigningKeyError


@click.group()
def releases() -> None:
    """Signed differentially private releases."""


@releases.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The published key history (as served at /.well-known/civic-keys); "
    "default: the instance's history, read from its database.",
)
@pass_civic
@click.pass_context
def verify(ctx: click.Context, civic: CivicContext, file: Path, keys_file: Path | None) -> None:
    """Print OK if FILE is a release signed by a published releases key, else FAILED and why."""
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        _failed(ctx, f"cannot read {file}: {exc.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _failed(ctx, f"{file} is not JSON text: {exc}")
    document, signature, kid = _parts(ctx, body)
    history = published_history(civic, keys_file)
    public = body["signature"].get("covers") == publication.COVERS
    check = publication.verify if public else signing.verify
    try:
        check(document, signature, kid, history)
    except SigningKeyError as exc:
        _failed(ctx, str(exc))
    except InvalidSignature:
        _failed(ctx, "signature does not match: the release was altered or signed by another key")
    kind = "public release" if public else "release"
    click.echo(f"OK: {kind} {document.get('id')} signed by {kid}")


def _parts(ctx: click.Context, body: Any) -> tuple[dict[str, Any], str, str]:
    """The release document, the signature and its key id, or FAILED naming what is missing."""
    if not isinstance(body, dict):
        _failed(ctx, "not a signed release: expected a JSON object")
    document, envelope = body.get("release"), body.get("signature")
    if not isinstance(document, dict) or not isinstance(envelope, dict):
        _failed(ctx, "not a signed release: expected 'release' and 'signature' objects")
    value, kid = envelope.get("value"), envelope.get("key_id")
    if not isinstance(value, str) or not isinstance(kid, str):
        _failed(ctx, "the signature must carry 'value' and 'key_id' strings")
    return document, value, kid


def _failed(ctx: click.Context, reason: str) -> NoReturn:
    click.echo(f"FAILED: {reason}", err=True)
    ctx.exit(1)
