"""``civic clients create`` prints the secret once and stores only its digest."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from civicdata.cli import cli
from civicdata.oauth.models import OAuthClient
from tests.support.cli import cli_env


def _create(config, *args: str):
    return CliRunner().invoke(cli, ["clients", "create", *args], env=cli_env(config))


def test_clients_create_prints_the_secret_once(client, platform_, config) -> None:
    result = _create(
        config,
        "--name",
        "Transport desk",
        "--role",
        "department",
        "--department",
        "transport",
        "--scope",
        "aggregates:request",
    )
    assert result.exit_code == 0, result.output
    lines = dict(
        line.split(":", 1) for line in result.output.splitlines() if line.startswith("client_")
    )
    client_id, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    with platform_.sessions() as session:
        stored = session.get(OAuthClient, client_id)
        assert stored.secret_hash != secret and stored.check_client_secret(secret)
    issued = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert issued.status_code == 200
    listed = CliRunner().invoke(cli, ["clients", "list"], env=cli_env(config))
    assert client_id in listed.output and secret not in listed.output


def test_clients_create_names_the_bad_option(platform_, config) -> None:
    result = _create(config, "--name", "Feed", "--role", "source", "--scope", "audit:read")
    assert result.exit_code != 0 and "--scope" in result.output and "auditor" in result.output
    result = _create(
        config,
        "--name",
        "App",
        "--role",
        "app",
        "--scope",
        "openid purpose:transport-planning",
        "--redirect-uri",
        "http://app.example.org/cb",
    )
    assert result.exit_code != 0 and "--redirect-uri" in result.output
    with platform_.sessions() as session:
        assert session.scalars(select(OAuthClient)).first() is None
