"""``civic clients create|list|disable|enable|rotate-secret``: operate OAuth clients.

Secrets are printed once (on create and rotate-secret) and stored as digests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.audit import record_event
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.db import transaction, utcnow
from civicdata.oauth.client_admin import disable_client, enable_client, rotate_secret
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
    """List registered clients and whether they are enabled (never their secrets)."""
    with civic.platform.sessions() as session:
        for client in session.scalars(select(OAuthClient).order_by(OAuthClient.created_at)):
            department = f" [{client.department}]" if client.department else ""
            state = "enabled" if client.disabled_at is None else "DISABLED"
            click.echo(
                f"{client.client_id}  {state}  {client.role}{department}  "
                f"{client.name}: {client.scope}"
            )


@clients.command("disable")
@click.argument("client_id")
@pass_civic
def disable(civic: CivicContext, client_id: str) -> None:
    """Disable a client at once: it cannot authenticate and its tokens are revoked."""
    with _operating(civic, client_id, "oauth.client.disable") as session:
        revoked = disable_client(session, client_id, utcnow())
    click.echo(f"disabled {client_id}; {revoked} live token(s) revoked")


@clients.command("enable")
@click.argument("client_id")
@pass_civic
def enable(civic: CivicContext, client_id: str) -> None:
    """Enable a disabled client again (it must ask for new tokens)."""
    with _operating(civic, client_id, "oauth.client.enable") as session:
        enable_client(session, client_id)
    click.echo(f"enabled {client_id}")


@clients.command("rotate-secret")
@click.argument("client_id")
@pass_civic
def rotate(civic: CivicContext, client_id: str) -> None:
    """Replace a client's secret; the old one stops working now. The new one is printed once."""
    with _operating(civic, client_id, "oauth.client.rotate_secret") as session:
        rotated = rotate_secret(session, client_id)
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {rotated.secret}")
    click.echo("The secret is shown only now; store it safely.")


@contextmanager
def _operating(civic: CivicContext, client_id: str, action: str) -> Iterator[Session]:
    """One audited transaction on a client; an unknown client is a usage error."""
    try:
        with transaction(civic.platform.sessions) as session:
            yield session
            record_event(session, actor="operator:cli", action=action, resource=client_id)
    except ClientError as exc:
        raise civic_error(f"CLIENT_ID: {exc.message}") from None
