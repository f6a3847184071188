"""``civic clients create|list``: register OAuth clients; the secret is printed once."""

from __future__ import annotations

import click
from sqlalchemy import select

from civicdata.audit import record_event
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.db import transaction
from civicdata.oauth.clients import ClientError, register_client
from civicdata.oauth.models import OAuthClient
from civicdata.oauth.scopes import CLIENT_ROLES, platform_scopes


@click.group()
def clients() -> None:
    """OAuth clients: citizen apps, departments, data sources, auditors."""


@clients.command("create")
@click.option("--name", required=True, help="Shown to citizens on the consent screen.")
@click.option("--role", required=True, type=click.Choice(CLIENT_ROLES))
@click.option(
    "--scope",
    "scopes",
    required=True,
    multiple=True,
    help="Repeat, or give several separated by spaces.",
)
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, help="Exact URI (apps only); repeatable."
)
@click.option("--department", default=None, help="Department id (required for department clients).")
@pass_civic
def create(
    civic: CivicContext,
    name: str,
    role: str,
    scopes: tuple[str, ...],
    redirect_uris: tuple[str, ...],
    department: str | None,
) -> None:
    """Register a client and print its id and secret (the secret is not stored)."""
    platform = civic.platform
    wanted = [s for item in scopes for s in item.split()]
    try:
        with transaction(platform.sessions) as session:
            registered = register_client(
                session,
                scope_catalog=platform_scopes(platform.purposes, platform.catalog.datasets),
                departments=set(platform.catalog.departments),
                name=name,
                role=role,
                scopes=wanted,
                redirect_uris=list(redirect_uris),
                department=department,
            )
            record_event(
                session,
                actor="operator:cli",
                action="oauth.client.create",
                resource=registered.client.client_id,
                role=role,
                department=department,
            )
    except ClientError as exc:
        raise civic_error(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    click.echo(f"client_id:     {registered.client.client_id}")
    click.echo(f"client_secret: {registered.secret}")
    click.echo("The secret is shown only now; store it safely.")


@clients.command("list")
@pass_civic
def list_clients(civic: CivicContext) -> None:
    """List registered clients (never their secrets)."""
    with civic.platform.sessions() as session:
        for client in session.scalars(select(OAuthClient).order_by(OAuthClient.created_at)):
            department = f" [{client.department}]" if client.department else ""
            click.echo(
                f"{client.client_id}  {client.role}{department}  {client.name}: {client.scope}"
            )
