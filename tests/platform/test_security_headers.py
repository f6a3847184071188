"""Security headers: strict CSP, no framing, nosniff, referrer, HSTS on https, no-store."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask

from civicdata.app import create_app
from civicdata.context import Platform
from tests.support.oauth import new_citizen, new_staff, service_token, sign_in

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=", re.IGNORECASE)


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, *rest in parts for value in [rest[0] if rest else ""]}


def test_every_answer_carries_the_strict_headers(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/api/v1/datasets", "/oauth/jwks", "/nowhere"):
        answer = client.get(path)
        csp = _directives(answer.headers["Content-Security-Policy"])
        assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
        assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in answer.headers  # http public URL


def test_hsts_only_when_the_public_url_is_https(platform_: Platform) -> None:
    config = dataclasses.replace(platform_.config, public_url="https://city.example")
    app = create_app(platform=dataclasses.replace(platform_, config=config))
    answer = app.test_client().get("/", base_url="https://city.example")
    assert "max-age=31536000" in answer.headers["Strict-Transport-Security"]


def _signed_in(app: Flask, platform_: Platform, email: str, role: str | None = None):  # type: ignore[no-untyped-def]
    if role:
        new_staff(platform_, role, email, department="transport" if role == "analyst" else None)
    else:
        new_citizen(platform_, email)
    browser = app.test_client()
    assert sign_in(browser, email).status_code == 302
    return browser


PAGES = {
    None: ["/my/", "/my/data", "/my/data.json", "/my/erase", "/my/history", "/my/apps",
           "/my/activity", "/my/privacy-loss", "/my/receipts", "/account"],
    "auditor": ["/auditor/events", "/auditor/budgets", "/auditor/policies",
                "/auditor/verification", "/auditor/events.csv"],
    "analyst": ["/console/"],
}  # fmt: skip


@pytest.mark.parametrize("role", list(PAGES))
def test_authenticated_pages_are_never_stored_and_have_no_inline_code(app, platform_, role) -> None:  # type: ignore[no-untyped-def]
    browser = _signed_in(app, platform_, f"{role or 'citizen'}@example.org", role)
    for path in PAGES[role]:
        answer = browser.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        assert answer.headers["Cache-Control"] == "no-store", path
        if answer.mimetype == "text/html":
            assert not INLINE.search(answer.text), (path, INLINE.search(answer.text))


def test_api_answers_with_personal_data_are_never_stored(client, platform_) -> None:  # type: ignore[no-untyped-def]
    token = service_token(client, platform_, role="auditor", scopes=["audit:read"])
    for path in ("/api/v1/audit/events", "/api/v1/whoami", "/api/v1/audit/events/export"):
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"


def test_the_api_docs_start_without_inline_script(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "swagger-init.js" in page.text
    assert not INLINE.search(page.text)
    assert client.get("/static/swagger-init.js").status_code == 200
