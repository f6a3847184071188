"""Accounts, OAuth clients and tokens for tests, through the real endpoints.

API tests of any capability get a token like this::

    from tests.support.oauth import service_token

    token = service_token(client, platform_, role="department", scopes=["aggregates:request"],
                          department="transport")
    client.get("/api/v1/...", headers={"Authorization": f"Bearer {token}"})

and a citizen app's token (sign-in, consent screen, PKCE, code exchange) with
:func:`citizen_token`. Everything goes through the real routes of the Flask
test client, so these helpers exercise what they rely on.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient

from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.accounts import (
    create_staff_account,
    mark_email_verified,
    register_citizen,
)
from civicdata.identity.models import Account
from civicdata.identity.passwords import Passwords
from civicdata.oauth.clients import RegisteredClient, register_client
from civicdata.oauth.scopes import platform_scopes

REDIRECT_URI = "http://127.0.0.1:8765/callback"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def new_client(
    platform: Platform,
    *,
    role: str,
    scopes: Sequence[str],
    department: str | None = None,
    redirect_uris: Sequence[str] = (),
    name: str = "test client",
) -> RegisteredClient:
    with platform.sessions() as session:
        registered = register_client(
            session,
            scope_catalog=platform_scopes(platform.purposes, platform.catalog.datasets),
            departments=set(platform.catalog.departments),
            name=name,
            role=role,
            scopes=scopes,
            redirect_uris=redirect_uris,
            department=department,
        )
        session.commit()
    return registered


def new_app_client(
    platform: Platform, scopes: Sequence[str], redirect_uri: str = REDIRECT_URI
) -> RegisteredClient:
    return new_client(
        platform, role="app", scopes=scopes, redirect_uris=[redirect_uri], name="Test app"
    )


def new_citizen(
    platform: Platform,
    email: str,
    password: str = PASSWORD,
    name: str | None = None,
    verified: bool = True,
) -> Account:
    """A registered citizen; ``verified``: who has confirmed their email address."""
    with platform.sessions() as session:
        account = register_citizen(
            session,
            vault=platform.vault,
            index=platform.keys.blind_index,
            passwords=Passwords(platform.config),
            email=email,
            password=password,
            name=name,
        )
        if verified:
            mark_email_verified(account, utcnow())
        session.commit()
    return account


def new_staff(
    platform: Platform,
    role: str,
    email: str,
    department: str | None = None,
    name: str | None = None,
) -> Account:
    with platform.sessions() as session:
        account = create_staff_account(
            session,
            index=platform.keys.blind_index,
            passwords=Passwords(platform.config),
            role=role,
            email=email,
            password=PASSWORD,
            department=department,
            departments=set(platform.catalog.departments),
            name=name,
        )
        session.commit()
    return account


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(page.text),
            "next": "/",
        },
    )


def token_request(client: FlaskClient, registered: RegisteredClient, **form: str) -> Any:
    """POST /oauth/token with HTTP Basic client authentication."""
    return client.post(
        "/oauth/token", data=form, auth=(registered.client.client_id, registered.secret)
    )


def service_token(
    client: FlaskClient,
    platform: Platform,
    *,
    role: str,
    scopes: Sequence[str],
    department: str | None = None,
) -> str:
    """A client-credentials access token for a new department, source or auditor client."""
    registered = new_client(platform, role=role, scopes=scopes, department=department)
    response = token_request(
        client, registered, grant_type="client_credentials", scope=" ".join(scopes)
    )
    assert response.status_code == 200, response.text
    return str(response.json["access_token"])


def authorize_url(
    registered: RegisteredClient, scope: str, challenge: str | None, **extra: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": registered.client.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "st-" + secrets.token_hex(4),
        **extra,
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return "/oauth/authorize?" + urlencode(params)


def consent(
    client: FlaskClient, url: str, purposes: Sequence[str] | None = None, allow: bool = True
) -> Any:
    """Show the consent screen at ``url`` and submit it (``purposes``: scopes to tick)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    data: dict[str, Any] = {
        "csrf_token": csrf_token(page.text),
        "decision": "allow" if allow else "deny",
    }
    if purposes:
        data["grant_purpose"] = list(purposes)
    return client.post(url, data=data)


def code_from(response: Any) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "code" in query, response.headers["Location"]
    return query["code"][0]


def citizen_token(
    client: FlaskClient,
    platform: Platform,
    *,
    scopes: Sequence[str],
    email: str = "citizen@example.org",
    grant: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A citizen app's token response: new citizen and app, sign-in, consent, PKCE exchange."""
    registered = new_app_client(platform, scopes)
    new_citizen(platform, email)
    assert sign_in(client, email).status_code == 302
    verifier, challenge = pkce_pair()
    purposes = [s for s in scopes if s.startswith("purpose:")] if grant is None else grant
    code = code_from(
        consent(client, authorize_url(registered, " ".join(scopes), challenge), purposes)
    )
    response = token_request(
        client,
        registered,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    return {**response.json, "client": registered}
