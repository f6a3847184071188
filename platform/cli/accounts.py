"""``civic accounts``: staff accounts (analyst, auditor, operator) and their display names.

Residents register themselves in the portal. The password is asked for on
the terminal (or read from standard input), never taken from the command line.
A staff account carries the display name auditors see beside its id in the
log; the name is never written to the log itself, only that it was set.
"""

from __future__ import annotations

import click

from civicdata.audit import record_event
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.db import transaction
from civicdata.identity.accounts import (
    STAFF_ROLES,
    AccountError,
    create_staff_account,
    find_account,
    set_staff_name,
    staff_accounts,
)
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.passwords import Passwords


@click.group()
def accounts() -> None:
    """Portal accounts of city staff."""


@accounts.command("create")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--email", required=True)
@click.option("--name", required=True, help="Display name auditors see, e.g. 'Ana Pereira'.")
@click.option("--department", default=None, help="Department id (analysts only).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_civic
def create(
    civic: CivicContext, role: str, email: str, name: str, department: str | None, password: str
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
                name=name,
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
    click.echo(f"created {role} account {account.id} ({account.display_name})")


@accounts.command("set-name")
@click.option("--email", required=True, help="The staff member's sign-in email.")
@click.option("--name", required=True, help="The display name auditors see.")
@pass_civic
def set_name(civic: CivicContext, email: str, name: str) -> None:
    """Set or change a staff account's display name (residents have none)."""
    platform = civic.platform
    try:
        with transaction(platform.sessions) as session:
            account = find_account(session, platform.keys.blind_index, email)
            if account is None:
                raise AccountError("email", "has no active account")
            set_staff_name(account, name)
            record_event(
                session,
                actor="operator:cli",
                action="account.rename",
                resource=actor_of(account),
                role=account.role,
                department=account.department,
            )
    except AccountError as exc:
        raise civic_error(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    click.echo(f"{account.role} account {account.id} is now shown as {account.display_name}")


@accounts.command("list")
@pass_civic
def list_accounts(civic: CivicContext) -> None:
    """Staff accounts: id, role, department and display name (never an email)."""
    with civic.platform.sessions() as session:
        for account in staff_accounts(session):
            state = " (disabled)" if account.disabled_at is not None else ""
            click.echo(
                f"{account.id}  {account.role:<8}  {account.department or '-':<12}  "
                f"{account.display_name or '(no name)'}{state}"
            )
