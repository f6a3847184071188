"""The ``civic`` command line for operators."""

from __future__ import annotations

import click

from civicdata.cli.accounts import accounts
from civicdata.cli.audit import audit
from civicdata.cli.backup import backup, restore
from civicdata.cli.base import CivicContext, civic_error
from civicdata.cli.clients import clients
from civicdata.cli.core import db, init, serve
from civicdata.cli.db_roles import roles
from civicdata.cli.demo import demo
from civicdata.cli.ingest import ingest
from civicdata.cli.keys import keys
from civicdata.cli.policy import policy
from civicdata.cli.receipts import receipts
from civicdata.cli.releases import releases
from civicdata.cli.signing import rotate_signing, signing_history
from civicdata.cli.witness import witness
from civicdata.config import Config, ConfigError
from civicdata.logs import bind_request_id, configure_logging, request_id_from


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Operate the Civic Data Platform (configuration from CIVIC_* variables)."""
    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise civic_error(f"configuration: {exc}") from None
    configure_logging(config.log_level)
    bind_request_id("cli-" + request_id_from(None))  # one id per command, in every log line
    ctx.obj = CivicContext(config)


for command in (init, serve, db, keys, receipts, policy, audit, demo, clients, accounts):
    cli.add_command(command)
cli.add_command(ingest)
cli.add_command(releases)
cli.add_command(backup)
cli.add_command(restore)
keys.add_command(rotate_signing)
keys.add_command(signing_history)
db.add_command(roles)
cli.add_command(witness)


def main() -> None:
    cli(prog_name="civic")
