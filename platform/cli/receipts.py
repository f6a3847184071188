"""``civic receipts verify FILE``: check a citizen's signed consent receipt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import click

from civicdata.cli.base import CivicContext, pass_civic
from civicdata.keys import SIGNING_PUBLIC_FILE
from consent.receipts import ReceiptError, load_public_key, verify_receipt


@click.group()
def receipts() -> None:
    """Signed consent receipts."""


@receipts.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ed25519 public key (PEM) to verify with; default: the instance's "
    f"keys/{SIGNING_PUBLIC_FILE}.",
)
@pass_civic
@click.pass_context
def verify(ctx: click.Context, civic: CivicContext, file: Path, public_key: Path | None) -> None:
    """Print OK if FILE is a receipt signed by the platform's key, else FAILED and why.

    Exits with status 0 on OK and 1 on FAILED. Needs only the public key.
    """
    key_path = public_key or civic.config.keys_dir / SIGNING_PUBLIC_FILE
    try:
        key = load_public_key(key_path.read_bytes())
    except OSError as exc:
        _failed(ctx, f"cannot read public key {key_path}: {exc.strerror}")
    except ReceiptError as exc:
        _failed(ctx, f"public key {key_path}: {exc}")
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
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
            f"at {receipt.get('eventTime')}, signed by {key_path}"
        )


def _failed(ctx: click.Context, reason: str) -> NoReturn:
    click.echo(f"FAILED: {reason}", err=True)
    ctx.exit(1)
