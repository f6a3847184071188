"""Rate limits per client address and per OAuth client, answered with 429 and Retry-After.

These tests use the production default limits (``RateLimits.DEFAULTS``), not
the relaxed ones of the testing environment.
"""

from __future__ import annotations

import dataclasses

import pytest

from civicdata.app import create_app
from civicdata.config import Config, ConfigError, RateLimits
from civicdata.context import Platform
from tests.support.oauth import csrf_token, new_client, token_request

REAL = RateLimits(storage="memory://", key_prefix="test", **RateLimits.DEFAULTS)


def first_amount(setting: str) -> int:
    """The first (shortest-window) amount of a default limit, e.g. 10 of '10 per minute'."""
    return int(RateLimits.DEFAULTS[setting].split()[0])


@pytest.fixture
def limited(config: Config, platform_: Platform):
    return create_app(config=dataclasses.replace(config, rate_limits=REAL), platform=platform_)


def _login(client, email: str, address: str):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={"email": email, "password": "not the password", "csrf_token": csrf_token(page.text)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_sign_ins_from_one_address_are_limited_across_accounts(limited) -> None:
    client = limited.test_client()
    allowed = first_amount("sign_in")
    answers = [_login(client, f"person{i}@example.org", "10.0.0.1") for i in range(allowed + 3)]
    assert [a.status_code for a in answers] == [401] * allowed + [429] * 3
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    # Another address is not affected; the sign-in page itself is never limited.
    assert _login(client, "person0@example.org", "10.0.0.2").status_code == 401
    assert client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


def test_registration_posts_are_limited_per_address(limited) -> None:
    client = limited.test_client()
    statuses = []
    for i in range(first_amount("register") + 1):
        page = client.get("/register", environ_base={"REMOTE_ADDR": "10.0.0.3"})
        form = {"email": f"bad{i}", "password": "x", "confirm": "y"}
        form["csrf_token"] = csrf_token(page.text)
        answer = client.post("/register", data=form, environ_base={"REMOTE_ADDR": "10.0.0.3"})
        statuses.append(answer.status_code)
    assert statuses == [400] * first_amount("register") + [429]


def test_token_endpoint_is_limited_per_client_from_any_address(limited, platform_) -> None:
    client = limited.test_client()
    registered = new_client(
        platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    allowed = first_amount("token")
    statuses = [
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "aggregates:request"},
            auth=(registered.client.client_id, registered.secret),
            environ_base={"REMOTE_ADDR": f"10.1.{i // 250}.{i % 250}"},
        ).status_code
        for i in range(allowed + 1)
    ]
    assert statuses == [200] * allowed + [429]
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.client.client_id, registered.secret),
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429 and int(refused.headers["Retry-After"]) > 0


def test_token_endpoint_is_limited_per_address_across_clients(limited, platform_) -> None:
    client = limited.test_client()
    allowed = first_amount("token")
    statuses = [
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(f"no-such-client-{i}", "wrong"),
            environ_base={"REMOTE_ADDR": "10.2.0.1"},
        ).status_code
        for i in range(allowed + 1)
    ]
    assert statuses == [401] * allowed + [429]


def test_api_is_limited_per_oauth_client(config, platform_) -> None:
    few = dataclasses.replace(REAL, api="3 per minute")
    app = create_app(platform=platform_, config=dataclasses.replace(config, rate_limits=few))
    client = app.test_client()
    registered = new_client(
        platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    token = token_request(
        client, registered, grant_type="client_credentials", scope="aggregates:request"
    ).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [
        client.get(
            "/api/v1/whoami", headers=headers, environ_base={"REMOTE_ADDR": f"10.3.0.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # Without the token, the same address still has its own allowance.
    assert client.get("/api/v1/whoami", environ_base={"REMOTE_ADDR": "10.3.0.9"}).status_code == 401


def test_testing_environment_relaxes_limits_and_bad_limits_are_refused(tmp_path) -> None:
    base = {"CIVIC_INSTANCE_PATH": str(tmp_path)}
    relaxed = Config.from_env({**base, "CIVIC_ENV": "testing"}).rate_limits
    development = Config.from_env({**base, "CIVIC_ENV": "development"}).rate_limits
    assert relaxed.sign_in == RateLimits.RELAXED
    assert development.sign_in == RateLimits.DEFAULTS["sign_in"]
    assert development.storage == "memory://"
    with pytest.raises(ConfigError, match="CIVIC_RATELIMIT_SIGN_IN"):
        Config.from_env({**base, "CIVIC_RATELIMIT_SIGN_IN": "often"})


def test_the_public_transparency_pages_are_limited_per_address(config, platform_) -> None:
    few = dataclasses.replace(REAL, api="2 per minute")
    app = create_app(platform=platform_, config=dataclasses.replace(config, rate_limits=few))
    client = app.test_client()
    for path in ("/transparency", "/transparency/feed.atom", "/api/v1/transparency"):
        here = {"REMOTE_ADDR": "10.4.0.1"}
        statuses = [client.get(path, environ_base=here).status_code for _ in range(3)]
        assert statuses == [200, 200, 429], path
        assert client.get(path, environ_base={"REMOTE_ADDR": "10.4.0.2"}).status_code == 200
