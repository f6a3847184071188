"""``civic init``, ``civic db upgrade`` and ``civic serve``."""

from __future__ import annotations

import click

from civicdata import migrations
from civicdata.cli.base import CivicContext, pass_civic
from civicdata.keys import ensure_keys


@click.command()
@pass_civic
def init(civic: CivicContext) -> None:
    """Create the instance folder, keys (if absent) and the database schema."""
    civic.config.instance_path.mkdir(parents=True, exist_ok=True)
    for path in ensure_keys(civic.config):
        click.echo(f"created {path}")
    migrations.upgrade(civic.config.database_url)
    click.echo(f"database ready: {_safe_url(civic.config.database_url)}")


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_civic
def db_upgrade(civic: CivicContext, revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(civic.config.database_url, revision)
    click.echo(f"database at {revision}: {_safe_url(civic.config.database_url)}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_civic
def serve(civic: CivicContext, host: str, port: int) -> None:
    """Serve the platform with Werkzeug (use gunicorn in production)."""
    from civicdata.app import create_app

    app = create_app(platform=civic.platform)
    base = f"http://{host}:{port}"
    click.echo(f"\nCivic Data Platform for {civic.platform.catalog.city_name}")
    click.echo(f"  Open {base}/ in a browser.")
    for line in sign_in_help(civic, base):
        click.echo(f"  {line}")
    click.echo("")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def sign_in_help(civic: CivicContext, base: str) -> list[str]:
    """How to sign in as each kind of user (demo accounts, when seeded)."""
    return [
        f"Health: {base}/healthz   Readiness: {base}/readyz",
    ]


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
