"""OpenID Connect ``prompt`` values, unadvertised response modes, and bounded scopes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from civicdata.oauth.scopes import MAX_SCOPE_CHARS
from tests.support.oauth import (
    REDIRECT_URI,
    authorize_url,
    code_from,
    consent,
    csrf_token,
    new_app_client,
    new_citizen,
    new_client,
    new_staff,
    pkce_pair,
    sign_in,
    token_request,
)

SCOPES = ["openid", "consent:read", "purpose:transport-planning"]
SCOPE = " ".join(SCOPES)


@pytest.fixture
def registered(platform_):
    return new_app_client(platform_, SCOPES)


def _to_client(response) -> dict[str, list[str]]:
    """The query of a redirect to the client (and no page was shown)."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("scope", [SCOPE, "consent:read purpose:transport-planning"])
def test_prompt_none_without_sign_in_answers_login_required(client, registered, scope) -> None:
    url = authorize_url(registered, scope, pkce_pair()[1], prompt="none", state="s1")
    answer = _to_client(client.get(url))
    assert answer["error"] == ["login_required"] and answer["state"] == ["s1"]


def test_prompt_none_signed_in_answers_consent_required_never_a_page(
    client, registered, platform_
) -> None:
    new_citizen(platform_, "ona@example.org")
    assert sign_in(client, "ona@example.org").status_code == 302
    _, challenge = pkce_pair()
    code_from(
        consent(client, authorize_url(registered, SCOPE, challenge), ["purpose:transport-planning"])
    )
    answer = _to_client(client.get(authorize_url(registered, SCOPE, challenge, prompt="none")))
    assert answer["error"] == ["consent_required"] and "code" not in answer


def test_prompt_none_for_staff_answers_login_required(client, registered, platform_) -> None:
    new_staff(platform_, "auditor", "aud@city.example")
    assert sign_in(client, "aud@city.example").status_code == 302
    url = authorize_url(registered, SCOPE, pkce_pair()[1], prompt="none")
    assert _to_client(client.get(url))["error"] == ["login_required"]


def test_prompt_none_with_another_value_is_invalid(client, registered) -> None:
    url = authorize_url(registered, SCOPE, pkce_pair()[1], prompt="none login")
    assert _to_client(client.get(url))["error"] == ["invalid_request"]


def test_prompt_login_asks_for_the_password_again(client, registered, platform_) -> None:
    new_citizen(platform_, "pol@example.org")
    assert sign_in(client, "pol@example.org").status_code == 302
    _, challenge = pkce_pair()
    asked = client.get(authorize_url(registered, SCOPE, challenge, prompt="login consent"))
    assert asked.status_code == 302 and "/login?" in asked.headers["Location"]
    form = client.get(asked.headers["Location"])
    assert form.status_code == 200 and "Sign in" in form.text  # shown although signed in
    next_url = parse_qs(urlsplit(asked.headers["Location"]).query)["next"][0]
    assert (
        "prompt=consent" in next_url
        and "login" not in parse_qs(urlsplit(next_url).query)["prompt"][0]
    )
    again = client.post(
        "/login",
        data={
            "email": "pol@example.org",
            "password": "correct horse battery staple",
            "csrf_token": csrf_token(form.text),
            "next": next_url,
        },
    )
    assert again.status_code == 302 and again.headers["Location"] == next_url
    screen = client.get(next_url)
    assert screen.status_code == 200 and 'name="decision"' in screen.text


def test_prompt_consent_always_shows_the_screen(client, registered, platform_) -> None:
    new_citizen(platform_, "rui@example.org")
    assert sign_in(client, "rui@example.org").status_code == 302
    _, challenge = pkce_pair()
    code_from(
        consent(client, authorize_url(registered, SCOPE, challenge), ["purpose:transport-planning"])
    )
    shown = client.get(authorize_url(registered, SCOPE, challenge, prompt="consent"))
    assert shown.status_code == 200 and 'name="decision"' in shown.text


def test_discovery_advertises_the_modes_and_prompts_accepted(client) -> None:
    metadata = client.get("/.well-known/openid-configuration").json
    assert metadata["response_modes_supported"] == ["query"]
    assert {"none", "login", "consent"} <= set(metadata["prompt_values_supported"])


@pytest.mark.parametrize("mode", ["form_post", "fragment", "web_message"])
def test_unadvertised_response_modes_are_refused(client, registered, platform_, mode) -> None:
    new_citizen(platform_, "sal@example.org")
    assert sign_in(client, "sal@example.org").status_code == 302
    answer = client.get(authorize_url(registered, SCOPE, pkce_pair()[1], response_mode=mode))
    assert answer.status_code == 400 and answer.json["error"] == "invalid_request"
    assert "response_mode" in answer.json["detail"]
    query = client.get(authorize_url(registered, SCOPE, pkce_pair()[1], response_mode="query"))
    assert query.status_code == 200


def test_scopes_are_capped_and_never_echoed(client, platform_) -> None:
    registered = new_client(
        platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    marker = "zq" + "x" * 40
    unknown = token_request(
        client, registered, grant_type="client_credentials", scope=f"aggregates:request {marker}"
    )
    assert unknown.status_code == 400 and unknown.json["error"] == "invalid_scope"
    assert marker not in unknown.text
    huge = token_request(
        client, registered, grant_type="client_credentials", scope="y" * (MAX_SCOPE_CHARS * 50)
    )
    assert huge.status_code == 400 and huge.json["error"] == "invalid_scope"
    assert len(huge.data) < 1000 and "yyy" not in huge.text
    other = token_request(client, registered, grant_type="client_credentials", scope="audit:read")
    assert other.status_code == 400 and "audit:read" not in other.text


def test_authorize_does_not_echo_unknown_scopes(client, registered) -> None:
    marker = "purpose:" + "w" * 60
    answer = client.get(authorize_url(registered, f"openid {marker}", pkce_pair()[1]))
    query = _to_client(answer)
    assert query["error"] == ["invalid_scope"]
    assert "www" not in answer.headers["Location"]
