"""Server-side portal sessions: sign-out, timeouts, password change, cookie flags, roles."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from civicdata.app import create_app
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.models import PortalSession
from civicdata.identity.portal import login_required
from civicdata.models import AuditEvent
from tests.support.oauth import PASSWORD, csrf_token, new_citizen, sign_in

EMAIL = "lia@example.org"


@pytest.fixture
def signed_in(client, platform_):
    new_citizen(platform_, EMAIL)
    assert sign_in(client, EMAIL).status_code == 302
    return client


def _is_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _logout(client):
    page = client.get("/account")
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)})


def test_sign_out_ends_the_session_on_the_server(signed_in, platform_) -> None:
    stolen = signed_in.get_cookie("session").value
    assert _logout(signed_in).status_code == 302
    assert not _is_signed_in(signed_in)
    signed_in.set_cookie("session", stolen)  # replaying the old cookie does not help
    answer = signed_in.get("/account")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    with platform_.sessions() as session:
        assert session.scalars(select(PortalSession)).first() is None
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "logout")).one()


def test_sign_out_without_csrf_token_is_refused(signed_in) -> None:
    assert signed_in.post("/logout").status_code == 400
    assert _is_signed_in(signed_in)


def test_idle_timeout(signed_in, platform_, config) -> None:
    with platform_.sessions() as session:
        idle = timedelta(minutes=config.session_idle_minutes, seconds=1)
        session.execute(update(PortalSession).values(last_seen_at=utcnow() - idle))
        session.commit()
    assert not _is_signed_in(signed_in)


def test_absolute_timeout_even_when_active(signed_in, platform_, config) -> None:
    with platform_.sessions() as session:
        age = timedelta(hours=config.session_absolute_hours, seconds=1)
        session.execute(
            update(PortalSession).values(created_at=utcnow() - age, last_seen_at=utcnow())
        )
        session.commit()
    assert not _is_signed_in(signed_in)


def test_activity_keeps_the_session_alive(signed_in, platform_, config) -> None:
    with platform_.sessions() as session:
        almost = timedelta(minutes=config.session_idle_minutes - 1)
        session.execute(update(PortalSession).values(last_seen_at=utcnow() - almost))
        session.commit()
    assert _is_signed_in(signed_in)
    with platform_.sessions() as session:
        seen = session.scalars(select(PortalSession.last_seen_at)).one()
    assert utcnow() - seen < timedelta(minutes=1)


def test_password_change_ends_other_sessions(signed_in, app, platform_) -> None:
    other_device = app.test_client()
    assert sign_in(other_device, EMAIL).status_code == 302
    page = signed_in.get("/account")
    new_password = "another long password"
    wrong = signed_in.post(
        "/account/password",
        data={
            "current": "wrong",
            "new": new_password,
            "confirm": new_password,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert wrong.status_code == 400 and _is_signed_in(other_device)
    changed = signed_in.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": new_password,
            "confirm": new_password,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert changed.status_code == 302
    assert _is_signed_in(signed_in)
    assert not _is_signed_in(other_device)
    assert sign_in(other_device, EMAIL, new_password).status_code == 302


def test_cookie_flags(config) -> None:
    for public_url, secure in (("http://127.0.0.1:5000", False), ("https://city.example", True)):
        platform = Platform.build(dataclasses.replace(config, public_url=public_url))
        try:
            new_citizen(platform, f"{secure}@example.org")
            client = create_app(platform=platform).test_client()
            answer = sign_in(client, f"{secure}@example.org")
            cookie = answer.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
            assert ("Secure" in cookie) is secure
        finally:
            platform.engine.dispose()


def test_login_required_checks_the_role_and_audits_refusals(app, platform_) -> None:
    app.add_url_rule(
        "/operators-only", "operators_only", login_required("operator")(lambda: "secret page")
    )
    client = app.test_client()
    assert client.get("/operators-only").status_code == 302  # signed out: to the sign-in page
    new_citizen(platform_, EMAIL)
    sign_in(client, EMAIL)
    refused = client.get("/operators-only")
    assert refused.status_code == 403 and "secret page" not in refused.text
    with platform_.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "portal.access")
        ).one()
    assert event.decision == "denied" and event.resource == "/operators-only"
