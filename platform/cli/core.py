"""``civic init``, ``civic db upgrade`` and ``civic serve``."""

from __future__ import annotations

import click

from civicdata import migrations
from civicdata.city import sync_city
from civicdata.cli.base import CivicContext, pass_civic
from civicdata.keys import ensure_keys
from civicdata.signing.material import ensure_signing_files


@click.command()
@pass_civic
def init(civic: CivicContext) -> None:
    """Create the instance folder, keys (if absent) and the database schema."""
    civic.config.instance_path.mkdir(parents=True, exist_ok=True)
    for path in ensure_keys(civic.config):
        click.echo(f"created {path}")
    migrations.upgrade(civic.config.database_url, blind_index=civic.platform.keys.blind_index)
    click.echo(f"database ready: {_safe_url(civic.config.database_url)}")
    _register_signing_keys(civic)
    synced = sync_city(civic.platform)
    click.echo(
        f"city files in force: {synced.new_notice_versions} new notice version(s); "
        f"policy set {synced.policy_set_hash[:12]}{' recorded' if synced.policy_set_recorded else ''}"
    )


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_civic
def db_upgrade(civic: CivicContext, revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrations.upgrade(
        civic.config.database_url, revision, blind_index=civic.platform.keys.blind_index
    )
    click.echo(f"database at {revision}: {_safe_url(civic.config.database_url)}")
    if revision == "head":
        for path in ensure_signing_files(civic.config.keys_dir):
            click.echo(f"created {path}")
        _register_signing_keys(civic)


def _register_signing_keys(civic: CivicContext) -> None:
    """Publish this node's signing keys for every use the database has none of yet."""
    for kid in civic.platform.signing.register():
        click.echo(f"published signing key {kid}")


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
    from civicdata.identity.demo import read_demo_credentials

    lines = [f"Health: {base}/healthz   Readiness: {base}/readyz"]
    demo = read_demo_credentials(civic.config.instance_path)
    if demo is None:
        lines.append(
            f"Residents register at {base}/register; staff accounts: `civic accounts create`."
        )
        return lines
    lines.append(f"Demo sign-ins (development only) at {base}/login:")
    if demo["citizens"]:
        citizen = demo["citizens"][0]
        lines.append(f"  resident: {citizen['email']} / {citizen['password']}")
    analysts = demo["analysts"]
    department = "transport" if "transport" in analysts else next(iter(sorted(analysts)), None)
    if department is not None:
        analyst = analysts[department]
        lines.append(f"  {department} analyst: {analyst['email']} / {analyst['password']}")
    if demo["auditor"]:
        lines.append(f"  auditor: {demo['auditor']['email']} / {demo['auditor']['password']}")
    lines.append(f"OAuth clients (token endpoint {base}/oauth/token):")
    for key, client in sorted(demo["clients"].items()):
        lines.append(
            f"  {key} ({client['scope']}): client_id={client['client_id']}"
            f" client_secret={client['client_secret']}"
        )
    lines.append(f"All demo credentials: {civic.config.instance_path / 'demo-credentials.json'}")
    return lines


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
