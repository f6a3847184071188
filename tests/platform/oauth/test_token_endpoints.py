"""Client credentials, refresh rotation, revocation and introspection permissions."""

from __future__ import annotations

import pytest

from tests.support.oauth import citizen_token, new_client, service_token, token_request


@pytest.fixture
def department(platform_):
    return new_client(
        platform_, role="department", scopes=["aggregates:request"], department="transport"
    )


def test_client_credentials_default_to_the_registered_scope(client, department) -> None:
    issued = token_request(client, department, grant_type="client_credentials")
    assert issued.status_code == 200
    assert issued.json["scope"] == "aggregates:request"
    assert "refresh_token" not in issued.json


@pytest.mark.parametrize(
    "scope", ["ingest:trips", "audit:read", "aggregates:request audit:read", "nonsense"]
)
def test_client_credentials_answer_invalid_scope_for_unregistered_scope(
    client, department, scope
) -> None:
    refused = token_request(client, department, grant_type="client_credentials", scope=scope)
    assert refused.status_code == 400
    assert refused.json["error"] == "invalid_scope"


def test_wrong_secret_is_invalid_client(client, department) -> None:
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(department.client.client_id, "wrong-secret"),
    )
    assert refused.status_code == 401 and refused.json["error"] == "invalid_client"


def test_apps_cannot_use_client_credentials(client, platform_) -> None:
    app = new_client(
        platform_, role="app", scopes=["openid"], redirect_uris=["https://app.example.org/cb"]
    )
    refused = token_request(client, app, grant_type="client_credentials")
    assert refused.status_code == 400 and refused.json["error"] == "unauthorized_client"


def test_refresh_cannot_widen_the_scope(client, platform_) -> None:
    issued = citizen_token(
        client,
        platform_,
        scopes=["openid", "consent:read", "consent:write"],
    )
    refused = token_request(
        client,
        issued["client"],
        grant_type="refresh_token",
        refresh_token=issued["refresh_token"],
        scope="openid consent:read consent:write purpose:transport-planning",
    )
    assert refused.status_code == 400 and refused.json["error"] == "invalid_scope"
    narrowed = token_request(
        client,
        issued["client"],
        grant_type="refresh_token",
        refresh_token=issued["refresh_token"],
        scope="consent:read",
    )
    assert narrowed.status_code == 200 and narrowed.json["scope"] == "consent:read"


def test_replayed_refresh_token_revokes_the_whole_family(client, platform_) -> None:
    issued = citizen_token(client, platform_, scopes=["openid", "consent:read"])
    app = issued["client"]
    rotated = token_request(
        client, app, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert rotated.status_code == 200
    replay = token_request(
        client, app, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {rotated.json['access_token']}"}
    assert client.get("/api/v1/whoami", headers=bearer).status_code == 401
    again = token_request(
        client, app, grant_type="refresh_token", refresh_token=rotated.json["refresh_token"]
    )
    assert again.status_code == 400


def test_introspection_is_limited_to_own_tokens_except_for_auditors(
    client, platform_, department
) -> None:
    token = token_request(client, department, grant_type="client_credentials").json["access_token"]
    other = new_client(platform_, role="source", scopes=["ingest:trips"])
    auditor = new_client(platform_, role="auditor", scopes=["audit:read"])

    def introspect(registered):
        return client.post(
            "/oauth/introspect",
            data={"token": token},
            auth=(registered.client.client_id, registered.secret),
        ).json

    assert introspect(department)["active"] is True
    assert introspect(department)["department"] == "transport"
    assert introspect(other) == {"active": False}
    assert introspect(auditor)["active"] is True


def test_a_client_cannot_revoke_another_clients_token(client, platform_, department) -> None:
    token = token_request(client, department, grant_type="client_credentials").json["access_token"]
    other = new_client(platform_, role="source", scopes=["ingest:trips"])
    refused = client.post(
        "/oauth/revoke", data={"token": token}, auth=(other.client.client_id, other.secret)
    )
    assert refused.status_code == 400
    assert (
        client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    revoked = client.post(
        "/oauth/revoke",
        data={"token": token},
        auth=(department.client.client_id, department.secret),
    )
    assert revoked.status_code == 200
    assert (
        client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_revoking_an_unknown_token_is_fine_and_missing_token_is_named(client, department) -> None:
    auth = (department.client.client_id, department.secret)
    assert client.post("/oauth/revoke", data={"token": "unknown"}, auth=auth).status_code == 200
    missing = client.post("/oauth/revoke", data={}, auth=auth)
    assert missing.status_code == 400 and missing.json["error"] == "invalid_request"


def test_service_token_helper_gives_working_tokens(client, platform_) -> None:
    token = service_token(client, platform_, role="source", scopes=["ingest:trips"])
    me = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}).json
    assert me["role"] == "source" and me["scopes"] == ["ingest:trips"]
