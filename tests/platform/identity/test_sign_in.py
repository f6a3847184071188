"""Portal sign-in: throttling across processes, rehash, safe redirects, audit."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from civicdata.app import create_app
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.models import Account, LoginFailure, PortalSession
from civicdata.identity.passwords import Passwords
from civicdata.identity.portal import safe_next
from civicdata.models import AuditEvent
from tests.support.oauth import PASSWORD, csrf_token, new_citizen, sign_in

EMAIL = "pau@example.org"


def _post_login(client, password: str, next_: str = "/"):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": EMAIL,
            "password": password,
            "csrf_token": csrf_token(page.text),
            "next": next_,
        },
    )


def test_sign_in_starts_a_new_server_side_session(client, platform_) -> None:
    new_citizen(platform_, EMAIL)
    client.get("/login")
    before = client.get_cookie("session").value
    answer = _post_login(client, PASSWORD, next_="/account")
    assert answer.status_code == 302 and answer.headers["Location"] == "/account"
    assert client.get_cookie("session").value != before
    assert "Signed in as a" in client.get("/account").text
    with platform_.sessions() as session:
        assert len(session.scalars(select(PortalSession)).all()) == 1
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
        assert [e.decision for e in events] == ["ok"]
        assert all("pau" not in str(e.details) for e in events)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, platform_) -> None:
    new_citizen(platform_, EMAIL)
    wrong = _post_login(client, "not the password")
    page = client.get("/login")
    unknown = client.post(
        "/login",
        data={
            "email": "nobody@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "not right" in wrong.text and "not right" in unknown.text
    with platform_.sessions() as session:
        decisions = session.scalars(
            select(AuditEvent.decision).where(AuditEvent.action == "login")
        ).all()
    assert decisions == ["failed", "failed"]


def test_throttling_holds_across_two_app_instances_and_then_lifts(config) -> None:
    first, second = Platform.build(config), Platform.build(config)
    try:
        new_citizen(first, EMAIL)
        client_a = create_app(platform=first).test_client()
        client_b = create_app(platform=second).test_client()
        for _ in range(config.login_max_failures):
            assert _post_login(client_a, "not the password").status_code == 401
        throttled = _post_login(client_b, PASSWORD)
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= config.login_window_seconds
        assert "Too many failed attempts" in throttled.text
        with first.sessions() as session:
            window = timedelta(seconds=config.login_window_seconds)
            session.execute(update(LoginFailure).values(at=utcnow() - window))
            session.commit()
        assert _post_login(client_b, PASSWORD).status_code == 302
        with first.sessions() as session:
            assert session.scalars(select(LoginFailure)).first() is None  # cleared on success
            decisions = session.scalars(
                select(AuditEvent.decision).where(AuditEvent.action == "login")
            ).all()
        assert decisions.count("throttled") == 1 and decisions[-1] == "ok"
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_sign_in_rehashes_a_password_hashed_with_old_parameters(client, platform_, config) -> None:
    account = new_citizen(platform_, EMAIL)
    older = Passwords(dataclasses.replace(config, argon2_time_cost=config.argon2_time_cost + 1))
    with platform_.sessions() as session:
        session.execute(update(Account).values(password_hash=older.hash(PASSWORD)))
        session.commit()
    assert _post_login(client, PASSWORD).status_code == 302
    with platform_.sessions() as session:
        stored = session.get(Account, account.id).password_hash
    assert f"t={config.argon2_time_cost}," in stored
    assert Passwords(config).verify(stored, PASSWORD).ok


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account", "/account"),
        ("/oauth/authorize?client_id=x&scope=openid", "/oauth/authorize?client_id=x&scope=openid"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nLocation: https://evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_no_open_redirect_after_sign_in(target, expected) -> None:
    assert safe_next(target) == expected


def test_sign_in_redirect_ignores_foreign_next(client, platform_) -> None:
    new_citizen(platform_, EMAIL)
    answer = _post_login(client, PASSWORD, next_="https://evil.example/")
    assert answer.headers["Location"] == "/my/"  # the citizen's home, never the foreign site


def test_login_form_without_csrf_token_is_refused(client, platform_) -> None:
    new_citizen(platform_, EMAIL)
    client.get("/login")
    refused = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 400
    assert "The form was too old" in refused.text  # a CSRF refusal, in plain words
    with platform_.sessions() as session:
        assert session.scalars(select(PortalSession)).first() is None


def test_registration_in_the_portal_needs_a_confirmed_email(client, platform_) -> None:
    page = client.get("/register")
    form = {"email": "new@example.org", "password": PASSWORD, "confirm": PASSWORD, "name": "Nova"}
    answer = client.post("/register", data={**form, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert client.get("/account").status_code == 302  # not signed in
    unconfirmed = sign_in(client, "new@example.org")
    assert unconfirmed.status_code == 403 and "Confirm your email" in unconfirmed.text
    page = client.get("/register")
    mismatch = client.post(
        "/register",
        data={
            **form,
            "email": "other@example.org",
            "confirm": "different",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert mismatch.status_code == 400 and "passwords differ" in mismatch.text
    weak = client.post(
        "/register",
        data={
            "email": "weak@example.org",
            "password": "1234567890",
            "confirm": "1234567890",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert weak.status_code == 400 and "<meter" in weak.text and 'value="0"' in weak.text


def test_staff_sign_in_with_the_blind_index(client, platform_) -> None:
    from tests.support.oauth import new_staff

    new_staff(platform_, "auditor", "audit@city.example")
    assert sign_in(client, "Audit@City.example").status_code == 302
    assert "auditor" in client.get("/account").text
