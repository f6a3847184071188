"""The authorization endpoint and code exchange refuse everything but the one safe path."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select, update

from civicdata.models import AuditEvent
from civicdata.oauth.models import OAuthClient, OAuthCode, OAuthToken
from tests.support.oauth import (
    REDIRECT_URI,
    authorize_url,
    code_from,
    consent,
    new_app_client,
    new_citizen,
    new_staff,
    pkce_pair,
    sign_in,
    token_request,
)

SCOPES = ["openid", "consent:read", "purpose:transport-planning", "purpose:energy-efficiency"]


@pytest.fixture
def app_client(client, platform_):
    """A registered app and a signed-in citizen."""
    registered = new_app_client(platform_, SCOPES)
    new_citizen(platform_, "maria@example.org")
    assert sign_in(client, "maria@example.org").status_code == 302
    return registered


def _error_redirect(response) -> dict[str, list[str]]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def _code(client, registered, challenge: str, scope: str = " ".join(SCOPES)) -> str:
    return code_from(
        consent(client, authorize_url(registered, scope, challenge), ["purpose:transport-planning"])
    )


def _exchange(client, registered, code: str, verifier: str, redirect_uri: str = REDIRECT_URI):
    return token_request(
        client,
        registered,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
    )


def test_missing_pkce_is_refused(client, app_client) -> None:
    answer = client.get(authorize_url(app_client, "openid", challenge=None))
    error = _error_redirect(answer)
    assert error["error"] == ["invalid_request"]
    assert "code_challenge" in error["error_description"][0]


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_pkce_is_refused(client, app_client, method) -> None:
    verifier, _ = pkce_pair()
    params = {"code_challenge": verifier}
    if method:
        params["code_challenge_method"] = method
    url = authorize_url(app_client, "openid", challenge=None) + "&" + urlencode(params)
    error = _error_redirect(client.get(url))
    assert error["error"] == ["invalid_request"]
    assert "S256" in error["error_description"][0]


def test_wrong_verifier_is_refused_and_burns_the_code(client, app_client) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    wrong, _ = pkce_pair()
    refused = _exchange(client, app_client, code, wrong)
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"
    assert refused.json["detail"]  # problem members next to RFC 6749's
    assert _exchange(client, app_client, code, verifier).status_code == 400


def test_missing_verifier_is_refused(client, app_client) -> None:
    _verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    refused = token_request(
        client, app_client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    assert refused.status_code == 400 and refused.json["error"] == "invalid_request"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/evil",
        REDIRECT_URI + "x",
        REDIRECT_URI[:-1],
        REDIRECT_URI + "?next=https://evil.example",
        REDIRECT_URI + "#fragment",
        REDIRECT_URI.replace("callback", "Callback"),
        REDIRECT_URI.replace("http://", "https://"),
        REDIRECT_URI.replace("127.0.0.1:8765", "127.0.0.1.evil.example:8765"),
        REDIRECT_URI.replace(":8765", ":8766"),
        "",
    ],
)
def test_unregistered_redirect_uri_is_refused_without_redirecting(
    client, app_client, redirect_uri
) -> None:
    _verifier, challenge = pkce_pair()
    url = authorize_url(app_client, "openid", challenge).replace(
        urlencode({"redirect_uri": REDIRECT_URI}), urlencode({"redirect_uri": redirect_uri})
    )
    answer = client.get(url)
    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.mimetype == "application/problem+json"
    assert (
        "redirect_uri" in answer.json["detail"].lower()
        or "redirect uri" in answer.json["detail"].lower()
    )


def test_token_request_with_another_redirect_uri_is_refused(client, app_client) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    refused = _exchange(client, app_client, code, verifier, redirect_uri=REDIRECT_URI + "/other")
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


def test_reused_code_is_refused_and_revokes_what_it_gave(client, app_client) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    first = _exchange(client, app_client, code, verifier)
    assert first.status_code == 200
    token = first.json["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/whoami", headers=bearer).status_code == 200
    again = _exchange(client, app_client, code, verifier)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    # The replay means the code leaked: the token issued from it stops working.
    assert client.get("/api/v1/whoami", headers=bearer).status_code == 401


def test_expired_code_is_refused_and_codes_live_at_most_ten_minutes(
    client, app_client, platform_
) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    with platform_.sessions() as session:
        row = session.scalars(select(OAuthCode)).one()
        assert row.expires_at - row.issued_at <= timedelta(minutes=10)
        session.execute(update(OAuthCode).values(expires_at=row.issued_at - timedelta(seconds=1)))
        session.commit()
    refused = _exchange(client, app_client, code, verifier)
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


def test_code_of_another_client_is_refused(client, app_client, platform_) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    other = new_app_client(platform_, SCOPES)
    refused = _exchange(client, other, code, verifier)
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "scope",
    [
        "openid nonsense",
        "purpose:no-such-purpose",
        "purpose:water-management",
        "aggregates:request",
    ],
)
def test_unknown_or_unregistered_scope_is_invalid_scope_not_narrowed(
    client, app_client, scope
) -> None:
    _verifier, challenge = pkce_pair()
    error = _error_redirect(client.get(authorize_url(app_client, scope, challenge)))
    assert error["error"] == ["invalid_scope"]


@pytest.mark.parametrize("response_type", ["token", "id_token", "code token"])
def test_implicit_and_hybrid_flows_do_not_exist(client, app_client, response_type) -> None:
    _verifier, challenge = pkce_pair()
    url = authorize_url(app_client, "openid", challenge).replace(
        "response_type=code", urlencode({"response_type": response_type})
    )
    error = _error_redirect(client.get(url))
    assert error["error"] == ["unsupported_response_type"]


def test_password_grant_does_not_exist(client, app_client) -> None:
    refused = token_request(
        client, app_client, grant_type="password", username="maria@example.org", password="x"
    )
    assert refused.status_code == 400 and refused.json["error"] == "unsupported_grant_type"


def test_citizen_grants_fewer_purposes_than_asked(client, app_client, platform_) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    token = _exchange(client, app_client, code, verifier).json
    assert token["scope"].split() == ["openid", "consent:read", "purpose:transport-planning"]


def test_forged_purpose_is_refused(client, app_client) -> None:
    _verifier, challenge = pkce_pair()
    url = authorize_url(app_client, "openid purpose:transport-planning", challenge)
    answer = consent(client, url, ["purpose:energy-efficiency"])
    assert answer.status_code == 400 and "grant_purpose" in answer.json["detail"]


def test_deny_redirects_with_access_denied(client, app_client, platform_) -> None:
    _verifier, challenge = pkce_pair()
    answer = consent(client, authorize_url(app_client, "openid", challenge), allow=False)
    assert _error_redirect(answer)["error"] == ["access_denied"]
    with platform_.sessions() as session:
        assert session.scalars(select(OAuthCode)).first() is None


def test_consent_post_without_csrf_token_is_refused(client, app_client, platform_) -> None:
    _verifier, challenge = pkce_pair()
    url = authorize_url(app_client, "openid purpose:transport-planning", challenge)
    answer = client.post(
        url, data={"decision": "allow", "grant_purpose": "purpose:transport-planning"}
    )
    assert answer.status_code == 400
    with platform_.sessions() as session:
        assert session.scalars(select(OAuthCode)).first() is None


def test_consent_screen_shows_notice_in_the_users_language(client, app_client, platform_) -> None:
    _verifier, challenge = pkce_pair()
    purpose = platform_.purposes["transport-planning"]
    url = authorize_url(app_client, "openid purpose:transport-planning", challenge)
    english = client.get(url).text
    assert purpose.notice["en"].title in english and purpose.notice_hash[:12] in english
    catalan = client.get(url, headers={"Accept-Language": "ca"}).text
    assert purpose.notice["ca"].title in catalan
    assert purpose.notice["ca"].title in client.get(url + "&ui_locales=ca").text


def test_signed_out_user_is_sent_to_sign_in_and_back(client, platform_) -> None:
    registered = new_app_client(platform_, SCOPES)
    _verifier, challenge = pkce_pair()
    url = authorize_url(registered, "openid", challenge)
    answer = client.get(url)
    assert answer.status_code == 302
    target = parse_qs(urlsplit(answer.headers["Location"]).query)["next"][0]
    assert urlsplit(answer.headers["Location"]).path == "/login"
    assert target.startswith("/oauth/authorize?")


def test_staff_cannot_authorize_apps(client, platform_) -> None:
    registered = new_app_client(platform_, SCOPES)
    new_staff(platform_, "analyst", "ana@transport.example.org", department="transport")
    sign_in(client, "ana@transport.example.org")
    _verifier, challenge = pkce_pair()
    answer = client.get(authorize_url(registered, "openid", challenge))
    assert answer.status_code == 403


def test_secrets_and_tokens_are_stored_hashed_and_decisions_audited(
    client, app_client, platform_
) -> None:
    verifier, challenge = pkce_pair()
    code = _code(client, app_client, challenge)
    token = _exchange(client, app_client, code, verifier).json
    _exchange(client, app_client, code, verifier)  # refused: reused
    with platform_.sessions() as session:
        stored = session.get(OAuthClient, app_client.client.client_id)
        assert (
            stored.secret_hash != app_client.secret and app_client.secret not in stored.secret_hash
        )
        row = session.scalars(select(OAuthToken)).one()
        assert token["access_token"] not in (row.access_token_hash, row.refresh_token_hash)
        assert token["refresh_token"] not in (row.access_token_hash, row.refresh_token_hash)
        assert session.scalars(select(OAuthCode)).one().code_hash != code
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "oauth.token")).all()
        assert [e.decision for e in events] == ["ok", "refused"]
        for event in session.scalars(select(AuditEvent)):
            text = str(event.details) + event.actor + event.resource
            assert token["access_token"] not in text and code not in text and "maria@" not in text
