"""``civic db roles``: print or apply the PostgreSQL role layout (history is append-only)."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from civicdata.audit.db_roles import APPEND_ONLY_TABLES, RoleLayoutError, apply_layout, role_layout
from civicdata.cli.base import CivicContext, civic_error, pass_civic
from civicdata.db import make_engine


@click.command("roles")
@click.option(
    "--app-role",
    default="civic_app",
    show_default=True,
    help="The login role the application connects as.",
)
@click.option(
    "--apply",
    "apply_now",
    is_flag=True,
    help="Run the statements against CIVIC_DATABASE_URL (connect as the schema owner).",
)
@pass_civic
def roles(civic: CivicContext, app_role: str, apply_now: bool) -> None:
    """The role layout in which the application may only INSERT and SELECT on history tables.

    Run it (again) after every `civic db upgrade`; then point the application's
    CIVIC_DATABASE_URL at the application role. Set the role's password (or
    certificate authentication) yourself: none is printed.
    """
    url = make_url(civic.config.database_url)
    if url.get_backend_name() != "postgresql":
        raise civic_error("database roles exist only on PostgreSQL; this database is SQLite")
    try:
        statements = role_layout(url.database or "", app_role)
    except RoleLayoutError as exc:
        raise civic_error(str(exc)) from None
    click.echo(f"-- append-only for {app_role}: {', '.join(APPEND_ONLY_TABLES)}")
    for statement in statements:
        click.echo(f"{statement};")
    if not apply_now:
        return
    engine = make_engine(civic.config.database_url)
    try:
        with engine.begin() as conn:
            apply_layout(conn, statements)
    finally:
        engine.dispose()
    click.echo(f"-- applied to {url.render_as_string(hide_password=True)}")
