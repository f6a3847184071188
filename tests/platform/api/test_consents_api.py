"""The consent API for citizen apps: scopes, roles, changes, receipts, export, bad input."""

from __future__ import annotations

from civicdata.context import Platform
from consent.receipts import verify_receipt
from tests.support.oauth import citizen_token, service_token

READ_WRITE = ["openid", "consent:read", "consent:write"]
TRANSPORT = "transport-planning"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_app_lists_gives_withdraws_and_downloads_receipts(client, platform_: Platform) -> None:
    issued = citizen_token(client, platform_, scopes=READ_WRITE)
    auth = _bearer(issued["access_token"])
    purposes = client.get("/api/v1/consents/purposes", headers=auth)
    assert purposes.status_code == 200
    transport = next(p for p in purposes.json if p["id"] == TRANSPORT)
    assert transport["notice"]["ca"]["title"].startswith("Planificar")
    given = client.post(f"/api/v1/consents/{TRANSPORT}", json={"language": "ca"}, headers=auth)
    assert given.status_code == 201, given.text
    assert (given.json["state"], given.json["collection_method"]) == ("given", "api")
    assert given.json["client_id"] == issued["client"].client.client_id
    mine = {c["purpose"]: c for c in client.get("/api/v1/consents", headers=auth).json}
    assert mine[TRANSPORT]["state"] == "given" and mine[TRANSPORT]["active"] is True
    assert mine["energy-efficiency"]["state"] == "none"
    record_id = given.json["record_id"]
    receipt = client.get(f"/api/v1/consents/receipts/{record_id}", headers=auth)
    public_key = platform_.signing.current("receipts").ed25519.public_key()
    assert verify_receipt(receipt.json, public_key)["collectionMethod"] == "consent API"
    withdrawn = client.delete(f"/api/v1/consents/{TRANSPORT}", headers=auth)
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    assert verify_receipt(withdrawn.json["receipt"], public_key)["state"] == "withdrawn"
    export = client.get("/api/v1/consents/export", headers=auth)
    assert export.status_code == 200
    assert export.json["citizen"]["email"] == "citizen@example.org"
    assert [e["state"] for e in export.json["consent_history"]] == ["given", "withdrawn"]


def test_bad_input_names_the_field_and_changes_nothing(client, platform_: Platform) -> None:
    auth = _bearer(citizen_token(client, platform_, scopes=READ_WRITE)["access_token"])
    bad_language = client.post(
        f"/api/v1/consents/{TRANSPORT}", json={"language": "fr"}, headers=auth
    )
    assert bad_language.status_code == 422
    assert bad_language.content_type == "application/problem+json"
    assert "language" in bad_language.json["errors"]["json"]
    unknown_field = client.post(f"/api/v1/consents/{TRANSPORT}", json={"lang": "en"}, headers=auth)
    assert unknown_field.status_code == 422 and "lang" in unknown_field.json["errors"]["json"]
    unknown = client.post("/api/v1/consents/no-such-purpose", json={}, headers=auth)
    assert unknown.status_code == 404 and unknown.json["field"] == "purpose"
    nothing = client.delete(f"/api/v1/consents/{TRANSPORT}", headers=auth)
    assert nothing.status_code == 409 and nothing.json["field"] == "purpose"
    missing = client.get("/api/v1/consents/receipts/nope", headers=auth)
    assert missing.status_code == 404 and missing.json["field"] == "record_id"
    states = client.get("/api/v1/consents", headers=auth).json
    assert {s["state"] for s in states} == {"none"}


def test_read_scope_cannot_write_and_other_roles_are_refused(client, platform_: Platform) -> None:
    read_only = _bearer(
        citizen_token(client, platform_, scopes=["openid", "consent:read"])["access_token"]
    )
    assert client.get("/api/v1/consents", headers=read_only).status_code == 200
    refused = client.post(f"/api/v1/consents/{TRANSPORT}", json={}, headers=read_only)
    assert refused.status_code == 403 and refused.json["error"] == "insufficient_scope"
    assert client.delete(f"/api/v1/consents/{TRANSPORT}", headers=read_only).status_code == 403
    department = _bearer(
        service_token(
            client,
            platform_,
            role="department",
            scopes=["aggregates:request"],
            department="transport",
        )
    )
    for method, url in [
        ("get", "/api/v1/consents"),
        ("get", "/api/v1/consents/purposes"),
        ("get", "/api/v1/consents/export"),
        ("post", f"/api/v1/consents/{TRANSPORT}"),
    ]:
        assert getattr(client, method)(url, headers=department).status_code == 403, url
    assert client.get("/api/v1/consents").status_code == 401


def test_the_routes_are_in_the_openapi_document(client) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"post", "delete"} <= set(paths["/api/v1/consents/{purpose}"])
    assert "/api/v1/consents/receipts/{record_id}" in paths
    assert "/api/v1/consents/export" in paths
    assert "/api/v1/consents/purposes" in paths
