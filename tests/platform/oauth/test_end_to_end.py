"""The whole authorization-code + PKCE flow over real HTTP, driven by requests-oauthlib."""

from __future__ import annotations

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session
from sqlalchemy import update

from civicdata.db import utcnow
from civicdata.oauth.models import OAuthAuthorization
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, REDIRECT_URI, csrf_token, new_app_client, new_citizen

SCOPES = [
    "openid",
    "profile",
    "consent:read",
    "purpose:transport-planning",
    "purpose:energy-efficiency",
]


def _sign_in(browser: requests.Session, base: str, email: str) -> None:
    page = browser.get(f"{base}/login")
    signed = browser.post(
        f"{base}/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_token(page.text),
            "next": "/",
        },
        allow_redirects=False,
    )
    assert signed.status_code == 302


def _authorize(
    browser: requests.Session, base: str, oauth: OAuth2Session, grant: list[str], nonce: str
) -> str:
    """The citizen's browser goes through the consent screen; returns the callback URL."""
    url, _state = oauth.authorization_url(f"{base}/oauth/authorize", nonce=nonce)
    page = browser.get(url)
    assert page.status_code == 200
    assert "Planning bus, metro and tram services" in page.text  # plain-language notice
    answer = browser.post(
        url,
        data={"csrf_token": csrf_token(page.text), "decision": "allow", "grant_purpose": grant},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return location


@pytest.mark.slow
def test_authorization_code_flow_end_to_end(config, monkeypatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback only
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")  # the citizen may grant less than asked
    with serve_platform(config) as server:
        base = server.url
        registered = new_app_client(server.platform, SCOPES)
        client_id, secret = registered.client.client_id, registered.secret
        new_citizen(server.platform, "ana@example.org", name="Ana Puig")
        browser = requests.Session()
        _sign_in(browser, base, "ana@example.org")

        discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
        assert discovery["issuer"] == base
        oauth = OAuth2Session(client_id, redirect_uri=REDIRECT_URI, scope=SCOPES, pkce="S256")
        callback = _authorize(
            browser, base, oauth, grant=["purpose:transport-planning"], nonce="n-first"
        )
        token = oauth.fetch_token(
            discovery["token_endpoint"], authorization_response=callback, client_secret=secret
        )
        # The citizen ticked one of two purposes: the token carries only that one.
        assert set(token["scope"]) == {
            "openid",
            "profile",
            "consent:read",
            "purpose:transport-planning",
        }

        # The ID token is signed by a key published in the JWKS, under its kid.
        jwks = requests.get(discovery["jwks_uri"], timeout=10).json()
        id_token = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
        assert id_token.header["kid"] in {k["kid"] for k in jwks["keys"]}
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": base}, aud={"essential": True, "value": client_id}
        )
        registry.validate(id_token.claims)
        assert id_token.claims["nonce"] == "n-first"
        assert id_token.claims["name"] == "Ana Puig"

        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        me = requests.get(f"{base}/api/v1/whoami", headers=bearer, timeout=10)
        assert me.status_code == 200 and me.json()["role"] == "app"
        assert me.json()["purposes"] == ["transport-planning"]
        info = requests.get(discovery["userinfo_endpoint"], headers=bearer, timeout=10).json()
        assert info["sub"] == id_token.claims["sub"]

        # Refresh rotates: a new refresh token, and the old one is refused afterwards.
        first_refresh = token["refresh_token"]
        oauth.scope = token["scope"]  # refresh asks for what was granted, not what was asked
        refreshed = oauth.refresh_token(discovery["token_endpoint"], auth=(client_id, secret))
        assert refreshed["refresh_token"] != first_refresh
        assert refreshed["access_token"] != token["access_token"]

        def introspect(value: str) -> dict:
            answer = requests.post(
                discovery["introspection_endpoint"],
                data={"token": value},
                auth=(client_id, secret),
                timeout=10,
            )
            assert answer.status_code == 200
            return answer.json()

        live = introspect(refreshed["access_token"])
        assert live["active"] is True and live["client_id"] == client_id
        assert live["sub"] == id_token.claims["sub"]
        assert introspect(token["access_token"]) == {"active": False}  # retired by the rotation

        revoked = requests.post(
            discovery["revocation_endpoint"],
            data={"token": refreshed["access_token"], "token_type_hint": "access_token"},
            auth=(client_id, secret),
            timeout=10,
        )
        assert revoked.status_code == 200
        assert introspect(refreshed["access_token"]) == {"active": False}
        refused = requests.get(
            f"{base}/api/v1/whoami",
            headers={"Authorization": f"Bearer {refreshed['access_token']}"},
            timeout=10,
        )
        assert refused.status_code == 401
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")

        replay = OAuth2Session(client_id, token={**token, "refresh_token": first_refresh})
        with pytest.raises(InvalidGrantError):
            replay.refresh_token(discovery["token_endpoint"], auth=(client_id, secret))

        # A second grant, then withdrawn in the database without revoking its tokens:
        # the token is refused all the same.
        oauth2 = OAuth2Session(client_id, redirect_uri=REDIRECT_URI, scope=SCOPES, pkce="S256")
        second = oauth2.fetch_token(
            discovery["token_endpoint"],
            authorization_response=_authorize(browser, base, oauth2, grant=[], nonce="n-second"),
            client_secret=secret,
        )
        second_bearer = {"Authorization": f"Bearer {second['access_token']}"}
        assert (
            requests.get(f"{base}/api/v1/whoami", headers=second_bearer, timeout=10).status_code
            == 200
        )
        with server.platform.sessions() as session:
            session.execute(update(OAuthAuthorization).values(withdrawn_at=utcnow()))
            session.commit()
        assert (
            requests.get(f"{base}/api/v1/whoami", headers=second_bearer, timeout=10).status_code
            == 401
        )
        assert introspect(second["access_token"]) == {"active": False}
