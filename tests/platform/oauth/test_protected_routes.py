"""``require_oauth``: each route family admits only its role and scope; the rest is denied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import jsonify
from sqlalchemy import select, update

from civicdata.db import utcnow
from civicdata.models import AuditEvent
from civicdata.oauth.models import OAuthClient, OAuthToken
from civicdata.oauth.protect import current_grant, require_oauth
from tests.support.oauth import citizen_token, service_token

# One probe per route family that later API blueprints protect the same way.
FAMILIES = {
    "consent": ("/api/v1/probe/consent", "consent:read", "app"),
    "aggregates": ("/api/v1/probe/aggregates", "aggregates:request", "department"),
    "ingest": ("/api/v1/probe/ingest/trips", None, "source"),
    "audit": ("/api/v1/probe/audit", "audit:read", "auditor"),
}


@pytest.fixture
def guarded(app):
    def grant_json():
        grant = current_grant()
        return jsonify(role=grant.role, department=grant.department, citizen=grant.citizen_id)

    app.add_url_rule(
        "/api/v1/probe/consent", "p_consent", require_oauth("consent:read")(grant_json)
    )
    app.add_url_rule(
        "/api/v1/probe/aggregates", "p_agg", require_oauth("aggregates:request")(grant_json)
    )
    app.add_url_rule("/api/v1/probe/audit", "p_audit", require_oauth("audit:read")(grant_json))

    @require_oauth(roles=("source",))
    def ingest(dataset: str):
        current_grant().require_scope(f"ingest:{dataset}")
        return grant_json()

    app.add_url_rule("/api/v1/probe/ingest/<dataset>", "p_ingest", ingest)
    return app


@pytest.fixture
def tokens(client, platform_, guarded) -> dict[str, str]:
    return {
        "app": citizen_token(client, platform_, scopes=["openid", "consent:read"])["access_token"],
        "department": service_token(
            client,
            platform_,
            role="department",
            scopes=["aggregates:request"],
            department="transport",
        ),
        "source": service_token(client, platform_, role="source", scopes=["ingest:trips"]),
        "auditor": service_token(client, platform_, role="auditor", scopes=["audit:read"]),
    }


def _get(client, path: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(path, headers=headers)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_admits_its_role_and_refuses_every_other(client, tokens, family) -> None:
    path, _scope, role = FAMILIES[family]
    allowed = _get(client, path, tokens[role])
    assert allowed.status_code == 200 and allowed.json["role"] == role
    for other, token in tokens.items():
        if other != role:
            refused = _get(client, path, token)
            assert refused.status_code == 403, (family, other)
            assert refused.mimetype == "application/problem+json"
            assert refused.json["error"] == "insufficient_scope"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_missing_or_unknown_token_is_401(client, tokens, family) -> None:
    path = FAMILIES[family][0]
    for token in (None, "not-a-token"):
        refused = _get(client, path, token)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_grant_exposes_department_and_citizen(client, tokens, platform_) -> None:
    assert (
        _get(client, "/api/v1/probe/aggregates", tokens["department"]).json["department"]
        == "transport"
    )
    citizen = _get(client, "/api/v1/probe/consent", tokens["app"]).json["citizen"]
    assert citizen.startswith("c-")


def test_scope_of_another_dataset_is_refused(client, tokens) -> None:
    refused = _get(client, "/api/v1/probe/ingest/electricity", tokens["source"])
    assert refused.status_code == 403 and "ingest:electricity" in refused.json["detail"]


def test_right_role_without_the_scope_is_refused(client, platform_, guarded) -> None:
    token = citizen_token(client, platform_, scopes=["openid"], email="x@example.org")[
        "access_token"
    ]
    assert _get(client, "/api/v1/probe/consent", token).status_code == 403


def test_expired_token_and_disabled_client_are_refused(client, tokens, platform_) -> None:
    with platform_.sessions() as session:
        session.execute(update(OAuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert _get(client, "/api/v1/probe/audit", tokens["auditor"]).status_code == 401
    with platform_.sessions() as session:
        session.execute(update(OAuthToken).values(expires_at=utcnow() + timedelta(hours=1)))
        session.execute(
            update(OAuthClient).where(OAuthClient.role == "auditor").values(disabled_at=utcnow())
        )
        session.commit()
    assert _get(client, "/api/v1/probe/audit", tokens["auditor"]).status_code == 401
    assert _get(client, "/api/v1/probe/aggregates", tokens["department"]).status_code == 200


def test_every_decision_is_audited(client, tokens, platform_) -> None:
    _get(client, "/api/v1/probe/audit", tokens["auditor"])
    _get(client, "/api/v1/probe/audit", tokens["source"])
    _get(client, "/api/v1/probe/audit", None)
    with platform_.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api.access").order_by(AuditEvent.id)
        ).all()
    assert [(e.decision, e.resource) for e in events] == [
        ("ok", "GET /api/v1/probe/audit"),
        ("denied", "GET /api/v1/probe/audit"),
        ("denied", "GET /api/v1/probe/audit"),
    ]
    assert events[1].actor.startswith("client:cl-") and events[2].actor == "anonymous"


def test_whoami_reports_the_token(client, tokens) -> None:
    me = _get(client, "/api/v1/whoami", tokens["department"]).json
    assert me["role"] == "department" and me["scopes"] == ["aggregates:request"]
    assert me["acts_for_citizen"] is False
    assert _get(client, "/api/v1/whoami", None).status_code == 401


def test_nothing_is_open_by_default() -> None:
    with pytest.raises(ValueError, match="nothing is open"):
        require_oauth()
    with pytest.raises(ValueError, match="unknown scope"):
        require_oauth("everything")
    with pytest.raises(ValueError, match="unknown role"):
        require_oauth(roles=("admin",))
