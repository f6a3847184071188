"""``civic clients disable|enable|rotate-secret|list``: a disabled client's tokens stop at once."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from civicdata.cli import cli
from civicdata.models import AuditEvent
from tests.support.cli import cli_env
from tests.support.oauth import citizen_token, new_client, token_request


def _civic(config, *args: str):
    return CliRunner().invoke(cli, ["clients", *args], env=cli_env(config))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_disabling_a_client_refuses_its_tokens_everywhere_at_once(
    client, platform_, config
) -> None:
    issued = citizen_token(client, platform_, scopes=["openid", "consent:read"])
    app_client = issued["client"]
    app_id = app_client.client.client_id
    auditor = new_client(platform_, role="auditor", scopes=["audit:read"])
    assert (
        client.get("/api/v1/consents", headers=_bearer(issued["access_token"])).status_code == 200
    )

    result = _civic(config, "disable", app_id)
    assert result.exit_code == 0, result.output
    assert "1 live token(s) revoked" in result.output

    api = client.get("/api/v1/consents", headers=_bearer(issued["access_token"]))
    assert api.status_code == 401
    seen = client.post(
        "/oauth/introspect",
        data={"token": issued["access_token"]},
        auth=(auditor.client.client_id, auditor.secret),
    )
    assert seen.status_code == 200 and seen.json == {"active": False}
    refresh = token_request(
        client, app_client, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert refresh.status_code == 401 and refresh.json["error"] == "invalid_client"
    listed = _civic(config, "list")
    assert f"{app_id}  DISABLED" in listed.output

    assert _civic(config, "enable", app_id).exit_code == 0
    assert f"{app_id}  enabled" in _civic(config, "list").output
    # Old tokens stay revoked: the app must get new ones.
    api = client.get("/api/v1/consents", headers=_bearer(issued["access_token"]))
    assert api.status_code == 401
    with platform_.sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.resource == app_id)
        ).all()
    assert {"oauth.client.disable", "oauth.client.enable"} <= set(actions)


def test_a_disabled_department_cannot_get_or_use_tokens(client, platform_, config) -> None:
    department = new_client(
        platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    token = token_request(client, department, grant_type="client_credentials").json["access_token"]
    assert client.get("/api/v1/whoami", headers=_bearer(token)).status_code == 200
    assert _civic(config, "disable", department.client.client_id).exit_code == 0
    assert client.get("/api/v1/whoami", headers=_bearer(token)).status_code == 401
    refused = token_request(client, department, grant_type="client_credentials")
    assert refused.status_code == 401 and refused.json["error"] == "invalid_client"


def test_rotating_the_secret_stops_the_old_one(client, platform_, config) -> None:
    source = new_client(platform_, role="source", scopes=["ingest:trips"])
    client_id = source.client.client_id
    result = _civic(config, "rotate-secret", client_id)
    assert result.exit_code == 0, result.output
    secret = dict(
        line.split(":", 1) for line in result.output.splitlines() if line.startswith("client_")
    )["client_secret"].strip()
    assert secret != source.secret
    old = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, source.secret)
    )
    new = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert old.status_code == 401 and new.status_code == 200
    assert secret not in _civic(config, "list").output


def test_unknown_clients_are_named(platform_, config) -> None:
    for command in ("disable", "enable", "rotate-secret"):
        result = _civic(config, command, "cl-nope")
        assert result.exit_code != 0 and "no such client 'cl-nope'" in result.output
