"""Email verification and password reset through a real SMTP server (aiosmtpd).

Registration and reset requests answer the same whether or not the address
has an account; links are signed, expire, and work once.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from civicdata.app import create_app
from civicdata.db import utcnow
from civicdata.identity.account_tokens import TokenError
from civicdata.identity.models import Account, PortalSession
from civicdata.models import AuditEvent
from tests.support.oauth import PASSWORD, csrf_token, new_citizen, sign_in
from tests.support.smtp import smtp_server

NEW_PASSWORD = "violin ferry marmalade"


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def mail_client(config, platform_, smtp):
    config = dataclasses.replace(config, smtp_url=smtp.url)
    app = create_app(config=config, platform=dataclasses.replace(platform_, config=config))
    return app.test_client()


def _post(client, path: str, page_path: str | None = None, **form: str):
    page = client.get(page_path or path)
    return client.post(path, data={**form, "csrf_token": csrf_token(page.text)})


def _page(answer) -> str:
    """The page without its CSRF tokens (the header's language switch has a fresh one each time)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", answer.text)


def _register(client, email: str, password: str = PASSWORD):
    return _post(client, "/register", email=email, password=password, confirm=password)


def _path(link: str) -> str:
    return urlsplit(link).path


def test_registering_twice_answers_the_same_and_mails_the_owner(mail_client, smtp) -> None:
    first = _register(mail_client, "ada@example.org")
    again = _register(mail_client, "ada@example.org", password="another long passphrase")
    assert first.status_code == again.status_code == 200
    assert _page(first) == _page(again)  # nothing tells the two apart
    welcome, notice = smtp.wait_for("ada@example.org", 1), smtp.wait_for("ada@example.org", 2)
    assert "/verify/" in welcome.body and "already have an account" in notice.body
    assert "/verify/" not in notice.body


def test_a_verification_link_confirms_once_then_sign_in_works(mail_client, smtp, platform_) -> None:
    _register(mail_client, "bea@example.org")
    assert sign_in(mail_client, "bea@example.org").status_code == 403
    path = _path(smtp.wait_for("bea@example.org").link("/verify/"))
    shown = mail_client.get(path)  # a mail scanner fetching the link changes nothing
    assert shown.status_code == 200 and "Confirm my email address" in shown.text
    confirmed = _post(mail_client, path)
    assert confirmed.status_code == 302
    assert sign_in(mail_client, "bea@example.org").status_code == 302
    reused = mail_client.get(path)
    assert reused.status_code == 400 and "used already" in reused.text
    with platform_.sessions() as session:
        account = session.scalars(select(Account)).one()
        assert account.email_verified_at is not None
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "email.verify" in actions


def test_signing_in_unconfirmed_sends_a_fresh_link(mail_client, smtp) -> None:
    _register(mail_client, "cai@example.org")
    assert sign_in(mail_client, "cai@example.org", "wrong password here").status_code == 401
    assert len(smtp.to("cai@example.org")) == 1  # a wrong password sends nothing
    assert sign_in(mail_client, "cai@example.org").status_code == 403
    assert "/verify/" in smtp.wait_for("cai@example.org", 2).body


def test_reset_answers_the_same_for_unknown_addresses(mail_client, smtp, platform_) -> None:
    new_citizen(platform_, "dan@example.org")
    known = _post(mail_client, "/reset", email="dan@example.org")
    unknown = _post(mail_client, "/reset", email="nobody@example.org")
    assert known.status_code == unknown.status_code == 200 and _page(known) == _page(unknown)
    assert "/reset/" in smtp.wait_for("dan@example.org").body
    assert "/reset/" not in smtp.wait_for("nobody@example.org").body


def test_a_reset_link_sets_a_password_once_and_signs_out_everywhere(
    mail_client, smtp, platform_, app
) -> None:
    new_citizen(platform_, "eva@example.org", name="Eva Ortega")
    other_device = app.test_client()
    assert sign_in(other_device, "eva@example.org").status_code == 302
    _post(mail_client, "/reset", email="eva@example.org")
    path = _path(smtp.wait_for("eva@example.org").link("/reset/"))
    weak = _post(mail_client, path, new="Eva Ortega is here!", confirm="Eva Ortega is here!")
    assert weak.status_code == 400 and "email address or name" in weak.text
    assert "<meter" in weak.text  # the strength meter's reading, without JavaScript
    done = _post(mail_client, path, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert other_device.get("/account").status_code == 302  # signed out there
    assert sign_in(mail_client, "eva@example.org", PASSWORD).status_code == 401
    assert sign_in(mail_client, "eva@example.org", NEW_PASSWORD).status_code == 302
    reused = mail_client.get(path)
    assert reused.status_code == 400 and "used already" in reused.text
    with platform_.sessions() as session:
        assert "password.reset" in session.scalars(select(AuditEvent.action)).all()
        assert len(session.scalars(select(PortalSession)).all()) == 1


def test_links_expire_and_forged_links_fail(mail_client, smtp, platform_, app) -> None:
    new_citizen(platform_, "fio@example.org")
    _post(mail_client, "/reset", email="fio@example.org")
    token = _path(smtp.wait_for("fio@example.org").link("/reset/")).rpartition("/")[2]
    tokens = app.extensions["civic_identity"].mail.reset
    with platform_.sessions() as session:
        assert tokens.redeem(session, token, utcnow()).id  # valid now
        later = utcnow() + tokens.lifetime + timedelta(seconds=1)
        with pytest.raises(TokenError, match="expired"):
            tokens.redeem(session, token, later)
        with pytest.raises(TokenError, match="not valid"):
            tokens.redeem(session, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), utcnow())
    verify_tokens = app.extensions["civic_identity"].mail.verify
    # A reset link is no verification link.
    with platform_.sessions() as session, pytest.raises(TokenError, match="not valid"):
        verify_tokens.redeem(session, token, utcnow())
    assert mail_client.get("/reset/not-a-token").status_code == 400


def test_the_live_strength_meter_reads_the_same_check(client) -> None:
    page = client.get("/register")
    refused = client.post("/password/strength", data={"password": "x"})
    assert refused.status_code == 400  # CSRF-protected like every form post
    weak = client.post(
        "/password/strength",
        data={"password": "P@ssw0rd12345678", "email": "gus@example.org"},
        headers={"X-CSRFToken": csrf_token(page.text)},
    )
    assert weak.status_code == 200 and weak.json["score"] < 3
    assert "most common" in " ".join(weak.json["problems"])
    assert weak.headers["Cache-Control"] == "no-store"
    own = client.post(
        "/password/strength",
        data={"password": "gus@example.org and more", "email": "gus@example.org"},
        headers={"X-CSRFToken": csrf_token(page.text)},
    )
    assert "email address or name" in " ".join(own.json["problems"])
    strong = client.post(
        "/password/strength",
        data={"password": NEW_PASSWORD},
        headers={"X-CSRFToken": csrf_token(page.text)},
    )
    assert strong.json["score"] >= 3 and strong.json["problems"] == []
