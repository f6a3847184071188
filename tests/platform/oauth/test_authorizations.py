"""Withdrawing a citizen's authorization revokes its tokens and unused codes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from civicdata.db import utcnow
from civicdata.oauth.authorizations import (
    active_authorizations,
    authorization_is_active,
    withdraw_app,
)
from civicdata.oauth.models import OAuthAuthorization, OAuthCode, OAuthToken
from tests.support.oauth import (
    REDIRECT_URI,
    authorize_url,
    citizen_token,
    code_from,
    consent,
    pkce_pair,
    token_request,
)

SCOPES = ["openid", "consent:read", "purpose:transport-planning"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_withdrawing_the_app_revokes_tokens_and_unused_codes(client, platform_) -> None:
    issued = citizen_token(client, platform_, scopes=SCOPES)
    app = issued["client"]
    verifier, challenge = pkce_pair()
    pending = code_from(
        consent(client, authorize_url(app, " ".join(SCOPES), challenge), SCOPES[2:])
    )
    with platform_.sessions() as session:
        citizen_id = session.scalars(select(OAuthAuthorization.citizen_id)).first()
        assert len(active_authorizations(session, citizen_id, utcnow())) == 2
        assert withdraw_app(session, citizen_id, app.client.client_id, utcnow()) == 2
        session.commit()
        assert all(t.revoked_at is not None for t in session.scalars(select(OAuthToken)))
        assert all(c.used_at is not None for c in session.scalars(select(OAuthCode)))
        assert active_authorizations(session, citizen_id, utcnow()) == []
    assert client.get("/api/v1/whoami", headers=_bearer(issued["access_token"])).status_code == 401
    refreshed = token_request(
        client, app, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert refreshed.status_code == 400
    exchanged = token_request(
        client,
        app,
        grant_type="authorization_code",
        code=pending,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert exchanged.status_code == 400 and exchanged.json["error"] == "invalid_grant"


def test_expired_authorization_stops_its_tokens(client, platform_) -> None:
    issued = citizen_token(client, platform_, scopes=SCOPES)
    with platform_.sessions() as session:
        authorization = session.scalars(select(OAuthAuthorization)).one()
        purpose = platform_.purposes["transport-planning"]
        assert authorization.expires_at == purpose.consent_valid_until(authorization.given_at)
        assert authorization.notices == {"transport-planning": purpose.notice_hash}
        session.execute(
            update(OAuthAuthorization).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
        assert not authorization_is_active(session, authorization.id, utcnow())
    assert client.get("/api/v1/whoami", headers=_bearer(issued["access_token"])).status_code == 401
    introspected = client.post(
        "/oauth/introspect",
        data={"token": issued["refresh_token"]},
        auth=(issued["client"].client.client_id, issued["client"].secret),
    )
    assert introspected.json == {"active": False}


def test_authorization_without_purposes_does_not_expire(client, platform_) -> None:
    citizen_token(client, platform_, scopes=["openid", "consent:read"])
    with platform_.sessions() as session:
        authorization = session.scalars(select(OAuthAuthorization)).one()
        assert authorization.expires_at is None and authorization.purposes == []
        assert authorization_is_active(session, authorization.id, utcnow() + timedelta(days=3650))
