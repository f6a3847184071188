"""``civic accounts create``: staff accounts (analyst, auditor, operator).

Residents register themselves in the portal. The password is asked for on
the terminal (or read from standard input), never taken from the command line.
"""

from __future__ import annotations

import click

from civicdata.audit import record_event
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.db import transaction
from civicdata.identity.accounts import STAFF_ROLES, AccountError, create_staff_account
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.passwords import Passwords


@click.group()
def accounts() -> None:
    """Portal accounts of city staff."""


@accounts.command("create")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--email", required=True)
@click.option("--department", default=None, help="Department id (analysts only).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_civic
def create(
    civic: CivicContext, role: str, email: str, department: str | None, password: str
) -> None:
    """Create a staff account; the email is stored only as a blind-index digest."""
    platform = civic.platform
    try:
        with transaction(platform.sessions) as session:
            account = create_staff_account(
                session,
                index=platform.keys.blind_index,
                passwords=Passwords(platform.config),
                role=role,
                email=email,
                password=password,
                department=department,
                departments=set(platform.catalog.departments),
            )
            record_event(
                session,
                actor="operator:cli",
                action="account.create",
                resource=actor_of(account),
                role=role,
                department=department,
            )
    except AccountError as exc:
        raise civic_error(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    click.echo(f"created {role} account {account.id}")
