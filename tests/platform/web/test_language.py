"""The portal in the reader's language, and sessions and errors that respect what they were doing.

Over HTTP with Flask's test client, on every database backend: the language
switch (remembered in the browser and on the account), negotiation, notices
in the page's language, mails, role homes after sign-in, the expired-session
round trip, error pages in plain words, OAuth errors as pages for people.
"""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select, update

from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.i18n import COOKIE
from civicdata.identity.models import Account, PortalSession
from tests.support.oauth import (
    PASSWORD,
    authorize_url,
    csrf_token,
    new_app_client,
    new_citizen,
    new_staff,
    pkce_pair,
)

EMAIL = "montse@example.org"
TRANSPORT = "transport-planning"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _login(client: FlaskClient, email: str = EMAIL, next_: str | None = None, **headers: str):  # type: ignore[no-untyped-def]
    page = client.get("/login" + (f"?next={next_}" if next_ else ""), headers=headers)
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    if next_ is not None:
        form["next"] = next_
    return client.post("/login", data=form, headers=headers)


def _switch(client: FlaskClient, language: str, next_: str = "/"):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/").text)
    return client.post("/language", data={"csrf_token": token, "language": language, "next": next_})


def _age_sessions(platform: Platform, by: timedelta) -> None:
    """As if the browser had been idle for ``by``."""
    with platform.sessions() as session:
        session.execute(update(PortalSession).values(last_seen_at=utcnow() - by))
        session.commit()


def test_accept_language_chooses_the_page_language(client) -> None:  # type: ignore[no-untyped-def]
    catalan = client.get("/", headers={"Accept-Language": "ca-ES,ca;q=0.9,en;q=0.5"}).text
    assert '<html lang="ca">' in catalan and "Qui sou?" in catalan and "Who are you?" not in catalan
    spanish = client.get("/login", headers={"Accept-Language": "es"}).text
    assert '<html lang="es">' in spanish and "Iniciar sesión" in spanish
    assert "Correo electrónico" in spanish  # the form's labels too
    english = client.get("/", headers={"Accept-Language": "de"}).text
    assert '<html lang="en">' in english and "Who are you?" in english


def test_the_switch_is_on_every_page_and_returns_to_it(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/register", "/reset", "/nowhere"):
        page = client.get(path).text
        assert 'action="/language"' in page and 'value="ca" lang="ca"' in page, path
    answer = _switch(client, "es", next_="/register")
    assert answer.status_code == 302 and answer.headers["Location"] == "/register"
    assert COOKIE in answer.headers["Set-Cookie"] and "Max-Age" in answer.headers["Set-Cookie"]
    page = client.get("/register", headers={"Accept-Language": "ca"}).text
    assert '<html lang="es">' in page and "Cree una cuenta de residente" in page
    assert _switch(client, "fr").status_code == 400
    assert _switch(client, "ca", next_="https://evil.example/").headers["Location"] == "/"


def test_a_signed_in_account_remembers_its_language(client, app, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    account = new_citizen(platform_, EMAIL)
    _login(client)
    _switch(client, "ca", next_="/my/")
    with platform_.sessions() as session:
        assert session.get(Account, account.id).locale == "ca"  # type: ignore[union-attr]
    elsewhere = app.test_client()  # another browser, which prefers Spanish
    assert _login(elsewhere, **{"Accept-Language": "es"}).headers["Location"] == "/my/"
    page = elsewhere.get("/my/", headers={"Accept-Language": "es"}).text
    assert '<html lang="ca">' in page
    assert "Planificar els serveis de bus, metro i tramvia" in page  # notices follow the page
    cookie = elsewhere.get_cookie(COOKIE)  # this browser now follows the account
    assert cookie is not None and cookie.value == "ca"


def test_notices_and_receipts_follow_the_page_language(client, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    new_citizen(platform_, EMAIL)
    _login(client)
    _switch(client, "es", next_="/my/")
    page = client.get("/my/").text
    assert "Planificar los servicios de autobús, metro y tranvía" in page
    token = csrf_token(page)
    given = client.post(f"/my/consents/{TRANSPORT}", data={"csrf_token": token, "action": "give"})
    assert given.status_code == 302
    assert "Ha dado su consentimiento a «Planificar los servicios" in client.get("/my/").text


def test_each_role_lands_on_its_home(app, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    new_citizen(platform_, EMAIL)
    new_staff(platform_, "analyst", "ana@transport.example", department="transport")
    new_staff(platform_, "auditor", "aud@example.org")
    new_staff(platform_, "operator", "op@example.org")
    homes = {
        EMAIL: "/my/",
        "ana@transport.example": "/console/",
        "aud@example.org": "/auditor/events",
        "op@example.org": "/account",
    }
    for email, home in homes.items():
        client = app.test_client()
        assert _login(client, email).headers["Location"] == home, email
        assert client.get("/login").headers["Location"] == home  # already signed in
    client = app.test_client()
    assert _login(client, EMAIL, next_="/my/data").headers["Location"] == "/my/data"


def test_registration_leads_to_the_citizen_home(client, config) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/register", headers={"Accept-Language": "es"})
    form = {
        "csrf_token": csrf_token(page.text),
        "email": EMAIL,
        "name": "Montse",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    inbox = client.post("/register", data=form, headers={"Accept-Language": "es"})
    assert inbox.status_code == 200 and "Revise su bandeja de entrada" in inbox.text
    mail = _newest_mail(config.instance_path / "outbox")
    assert mail["Content-Language"] == "es" and mail["Subject"] == "Confirme su dirección de correo"
    body = mail.get_content()
    assert "Funciona una sola vez, durante 2 días." in body
    link = next(word for word in body.split() if "/verify/" in word)
    path = urlsplit(link).path
    confirm = client.get(path)
    confirmed = client.post(path, data={"csrf_token": csrf_token(confirm.text)})
    assert confirmed.headers["Location"] == "/login"
    assert _login(client).headers["Location"] == "/my/"


def _newest_mail(folder: Path):  # type: ignore[no-untyped-def]
    newest = sorted(folder.glob("*.eml"))[-1]
    return message_from_bytes(newest.read_bytes(), policy=policy.default)


def test_an_expired_session_says_so_and_returns_to_the_page_of_the_form(
    client, platform_: Platform
) -> None:  # type: ignore[no-untyped-def]
    new_citizen(platform_, EMAIL)
    _login(client)
    token = csrf_token(client.get("/my/").text)
    _age_sessions(platform_, timedelta(minutes=platform_.config.session_idle_minutes + 1))
    posted = client.post(
        f"/my/consents/{TRANSPORT}",
        data={"csrf_token": token, "action": "give"},
        headers={"Referer": "http://localhost/my/?tab=1"},
    )
    assert posted.status_code == 302
    target = urlsplit(posted.headers["Location"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == ["/my/?tab=1"]
    login = client.get(posted.headers["Location"])
    assert "Your session expired; sign in again." in login.text
    assert 'name="next" type="hidden" value="/my/?tab=1"' in login.text
    assert _login(client, next_="/my/?tab=1").headers["Location"] == "/my/?tab=1"
    with platform_.sessions() as session:
        assert len(session.scalars(select(PortalSession)).all()) == 1


def test_an_expired_post_from_elsewhere_returns_to_the_home(client, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    new_citizen(platform_, EMAIL)
    _login(client)
    token = csrf_token(client.get("/my/").text)
    _age_sessions(platform_, timedelta(hours=1))
    for referer in ({"Referer": "https://evil.example/my/"}, {}):
        posted = client.post(
            f"/my/consents/{TRANSPORT}",
            data={"csrf_token": token, "action": "give"},
            headers=referer,
        )
        assert posted.headers["Location"] == "/login"  # never the POST-only URL
    assert _login(client).headers["Location"] == "/my/"


def test_an_expired_get_returns_to_that_page(client, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    new_citizen(platform_, EMAIL)
    _login(client)
    _age_sessions(platform_, timedelta(hours=1))
    answer = client.get("/my/data", headers={"Accept-Language": "ca"})
    assert answer.headers["Location"] == "/login?next=/my/data"
    assert (
        "La sessió ha caducat; torneu a iniciar-la."
        in client.get(answer.headers["Location"], headers={"Accept-Language": "ca"}).text
    )
    signed_out = client.get("/my/data")  # a plain sign-in request, no longer "expired"
    assert "expired" not in client.get(signed_out.headers["Location"]).text


def test_error_pages_in_plain_words_and_the_readers_language(app, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    def boom() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    missing = client.get("/nowhere", headers={"Accept-Language": "es"})
    assert missing.status_code == 404 and '<html lang="es">' in missing.text
    assert "No se ha encontrado la página" in missing.text and "requested URL" not in missing.text
    wrong_method = client.get("/logout", headers={"Accept-Language": "ca"})
    assert wrong_method.status_code == 405
    assert "Aquesta pàgina no es pot obrir d'aquesta manera" in wrong_method.text.replace(
        "&#39;", "'"
    )
    assert "Method Not Allowed" not in wrong_method.text
    broken = client.get("/boom", headers={"Accept-Language": "en"})
    assert broken.status_code == 500 and "Something went wrong on our side" in broken.text
    assert "a bug" not in broken.text
    api = client.get("/api/v1/nowhere", headers={"Accept-Language": "ca"})
    assert api.status_code == 404 and api.json["title"] == "Not Found"  # API clients keep JSON


def test_oauth_errors_are_pages_for_people_and_json_for_programs(
    client, platform_: Platform
) -> None:  # type: ignore[no-untyped-def]
    registered = new_app_client(platform_, ["openid", f"purpose:{TRANSPORT}"])
    new_citizen(platform_, EMAIL)
    _login(client)
    _, challenge = pkce_pair()
    url = authorize_url(
        registered, f"openid purpose:{TRANSPORT}", challenge, redirect_uri="https://evil.example/cb"
    )
    page = client.get(url, headers={**BROWSER, "Accept-Language": "ca"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert '<html lang="ca">' in page.text and "No s&#39;hi ha compartit res" in page.text
    program = client.get(url, headers={"Accept": "application/json"})
    assert program.status_code == 400 and program.mimetype == "application/problem+json"
    staff = new_staff(platform_, "auditor", "aud@example.org")
    assert staff.role == "auditor"
    other = client.application.test_client()
    _login(other, "aud@example.org")
    good = authorize_url(registered, f"openid purpose:{TRANSPORT}", challenge)
    refused = other.get(good, headers={**BROWSER, "Accept-Language": "es"})
    assert (
        refused.status_code == 403
        and "Solo los residentes pueden autorizar aplicaciones." in refused.text
    )


def test_the_consent_screen_is_in_one_language(client, platform_: Platform) -> None:  # type: ignore[no-untyped-def]
    registered = new_app_client(platform_, ["openid", "consent:read", f"purpose:{TRANSPORT}"])
    new_citizen(platform_, EMAIL)
    _login(client)
    _, challenge = pkce_pair()
    url = authorize_url(registered, f"openid consent:read purpose:{TRANSPORT}", challenge)
    spanish = client.get(url, headers={"Accept-Language": "es"}).text
    assert '<html lang="es">' in spanish
    assert "Planificar los servicios de autobús" in spanish
    assert "Saber que es usted" in spanish  # what the app may do, translated
    catalan = client.get(url + "&ui_locales=ca", headers={"Accept-Language": "es"}).text
    assert '<html lang="ca">' in catalan and "Planificar els serveis" in catalan
    english = client.get(url + "&lang=en", headers={"Accept-Language": "es"}).text
    assert '<html lang="en">' in english  # the screen's own language links
    back = client.post(
        "/language",
        data={"csrf_token": csrf_token(english), "language": "ca", "next": url + "&lang=en"},
    )
    assert "lang=" not in back.headers["Location"] and back.headers["Location"].startswith(
        "/oauth/authorize?"
    )
    assert '<html lang="ca">' in client.get(back.headers["Location"]).text
