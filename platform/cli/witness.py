"""``civic witness serve|vkey``: run a C2SP ``tlog-witness`` for someone else's log.

A witness belongs to another organisation: it has its own key and its own
database and needs nothing of the platform's configuration but the log's
verifier key (``civic audit vkey`` prints it).
"""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from civicdata.cli.base import civic_error
from civicdata.witness.cosignature import NOTE_ED25519, CosignatureError, parse_vkey, witness_vkey
from civicdata.witness.keyfile import KeyFileError, load_or_create_key

KEY_OPTION = click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The witness's Ed25519 private key (PEM); created if absent.",
)
NAME_OPTION = click.option(
    "--name", required=True, help="The witness's name, e.g. witness.example.org/civic."
)


@click.group()
def witness() -> None:
    """A transparency-log witness (C2SP tlog-witness) with its own key and storage."""


def _key(path: Path) -> Ed25519PrivateKey:
    try:
        return load_or_create_key(path)
    except (KeyFileError, ValueError) as exc:
        raise civic_error(str(exc)) from None


@witness.command("vkey")
@NAME_OPTION
@KEY_OPTION
def vkey(name: str, key_path: Path) -> None:
    """Print the witness's verifier key (give it to the log's operator and its auditors)."""
    click.echo(witness_vkey(name, _key(key_path).public_key()))


@witness.command("serve")
@NAME_OPTION
@KEY_OPTION
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The witness's own SQLite file (latest cosigned checkpoint per log).",
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    required=True,
    help="Verifier key of a log to witness (`civic audit vkey`); repeat for more logs.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7380, show_default=True, type=int)
def serve(
    name: str, key_path: Path, db_path: Path, logs: tuple[str, ...], host: str, port: int
) -> None:
    """Serve POST /add-checkpoint: cosign consistent checkpoints, refuse forks."""
    from sqlalchemy import create_engine

    from civicdata.witness.server import WitnessService, create_witness_app

    known = {}
    for text in logs:
        try:
            origin, public_key = parse_vkey(text, NOTE_ED25519)
        except CosignatureError as exc:
            raise civic_error(f"--log: {exc}") from None
        known[origin] = (origin, public_key)
    key = _key(key_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    service = WitnessService(name, key, create_engine(f"sqlite:///{db_path}"), known)
    app = create_witness_app(service)
    click.echo(f"witness {witness_vkey(name, key.public_key())}")
    click.echo(f"  witnessing {', '.join(sorted(known))} at http://{host}:{port}/add-checkpoint")
    app.run(host=host, port=port, threaded=True, use_reloader=False)
