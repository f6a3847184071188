"""``civic receipts verify FILE``: check a citizen's signed consent receipt.

The key is the one the receipt names (``kid``), taken from the published key
history and refused unless it is published for receipts; ``--public-key``
checks against one given PEM instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import click

from civicdata.cli.base import CivicContext, pass_civic, published_history
from civicdata.consents.receipt_keys import receipt_public_key
from consent.receipts import ReceiptError, load_public_key, verify_receipt


@click.group()
def receipts() -> None:
    """Signed consent receipts."""


@receipts.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The published key history (as served at /.well-known/civic-keys); "
    "default: the instance's history, read from its database.",
)
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Check against this Ed25519 public key (PEM) instead of the key history.",
)
@pass_civic
@click.pass_context
def verify(
    ctx: click.Context,
    civic: CivicContext,
    file: Path,
    keys_file: Path | None,
    public_key: Path | None,
) -> None:
    """Print OK if FILE is a receipt signed by a published receipts key, else FAILED and why.

    Exits with status 0 on OK and 1 on FAILED. Needs only public keys.
    """
    if public_key is not None:
        try:
            key = load_public_key(public_key.read_bytes())
        except OSError as exc:
            _failed(ctx, f"cannot read public key {public_key}: {exc.strerror}")
        except ReceiptError as exc:
            _failed(ctx, f"public key {public_key}: {exc}")
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        if public_key is None:
            key = receipt_public_key(document, published_history(civic, keys_file))
        receipt = verify_receipt(document, key)
    except OSError as exc:
        _failed(ctx, f"cannot read {file}: {exc.strerror}")
    except UnicodeDecodeError:
        _failed(ctx, f"{file} is not UTF-8 text")
    except json.JSONDecodeError as exc:
        _failed(ctx, f"{file} is not JSON: {exc}")
    except ReceiptError as exc:
        _failed(ctx, str(exc))
    else:
        click.echo(
            f"OK: receipt {receipt.get('consentReceiptID')}: consent {receipt.get('state')} "
            f"for purpose {receipt.get('purposeId')} by {receipt.get('piiPrincipalId')} "
            f"at {receipt.get('eventTime')}, signed by {public_key or receipt.get('kid')}"
        )


def _failed(ctx: click.Context, reason: str) -> NoReturn:
    click.echo(f"FAILED: {reason}", err=True)
    ctx.exit(1)
