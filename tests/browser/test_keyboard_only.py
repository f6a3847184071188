"""A resident does the whole consent flow with the keyboard alone (Tab, Enter, Space; no clicks).

Sign in, give and withdraw consent, read the history, answer an app's
permission screen (a purpose already given is ticked; another is ticked with
Space), and erase the account.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support.keyboard import activate, focused_name, tab_to
from tests.support.live_server import serve_platform
from tests.support.oauth import (
    PASSWORD,
    REDIRECT_URI,
    authorize_url,
    new_app_client,
    new_citizen,
    pkce_pair,
)

EMAIL = "pau@example.org"
TRANSPORT = "Planning bus, metro and tram services"
WATER = "Managing the water network"


@pytest.mark.browser
def test_the_consent_flow_with_the_keyboard_alone(config, browser_page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        new_citizen(server.platform, EMAIL)
        scopes = "openid purpose:transport-planning purpose:water-management"
        callback = f"{server.url}/healthz"  # a page that answers, standing in for the app
        app = new_app_client(server.platform, scopes.split(), redirect_uri=callback)
        _verifier, challenge = pkce_pair()

        page.goto(f"{server.url}/login")
        tab_to(page, "Skip to content")  # the first stop on every page
        tab_to(page, "Email")
        page.keyboard.type(EMAIL)
        tab_to(page, "Password")
        page.keyboard.type(PASSWORD)
        activate(page)

        tab_to(page, "My consents")
        activate(page)
        expect(page.get_by_role("heading", name="My consents", level=1)).to_be_visible()
        tab_to(page, f"Give consent: {TRANSPORT}")
        activate(page, "Space")
        expect(page.get_by_role("status")).to_contain_text(
            f"You gave your consent to “{TRANSPORT}”"
        )
        tab_to(page, f"Allow this use: {WATER}")
        activate(page)
        expect(page.locator("#state-water-management")).to_contain_text("Allowed")
        tab_to(page, f"Object to this use: {WATER}")
        activate(page)
        expect(page.get_by_role("status")).to_contain_text(f"You objected to “{WATER}”")

        tab_to(page, "History and receipts")
        activate(page)
        expect(page.locator("#history li")).to_have_count(3)
        expect(page.locator("#history")).to_contain_text(f"You gave consent to “{TRANSPORT}” on")

        asked = authorize_url(app, scopes, challenge).replace(
            quote(REDIRECT_URI, safe=""), quote(callback, safe="")
        )
        page.goto(server.url + asked)
        transport_box = page.get_by_role("checkbox", name=re.compile(f"^{re.escape(TRANSPORT)}"))
        water_box = page.get_by_role("checkbox", name=WATER)
        expect(transport_box).to_be_checked()  # already given on the portal
        expect(water_box).not_to_be_checked()
        tab_to(page, WATER)
        page.keyboard.press("Space")
        expect(water_box).to_be_checked()
        tab_to(page, "Allow")
        activate(page)
        assert page.url.startswith(callback) and "code" in parse_qs(urlsplit(page.url).query)

        page.goto(f"{server.url}/my/data")
        tab_to(page, "Erase me")
        activate(page)
        tab_to(page, "I understand: erase my data and close my account")
        page.keyboard.press("Space")
        tab_to(page, "Your password")
        assert focused_name(page) == "Your password"
        page.keyboard.type(PASSWORD)
        activate(page)
        expect(page.get_by_role("heading", name="Your data is erased")).to_be_visible()
