"""A citizen whose session expired while a page was open: told so, and taken back to it.

The idle timeout is configured to its shortest (one minute) and the session is
then aged past it in the database, rather than waiting a minute in the test.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from civicdata.db import utcnow
from civicdata.identity.models import PortalSession
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, new_citizen

EMAIL = "pau@example.org"
TRANSPORT = "transport-planning"


@pytest.mark.browser
@pytest.mark.parametrize(
    ("locale", "expired"), [("en-GB", "Your session expired"), ("ca-ES", "La sessió ha caducat")]
)
def test_an_expired_session_returns_the_citizen_to_the_consent_page(
    config, browser, locale: str, expired: str
) -> None:
    from playwright.sync_api import expect

    config = dataclasses.replace(config, session_idle_minutes=1)
    context = browser.new_context(locale=locale)
    page = context.new_page()
    with serve_platform(config) as server:
        assert server.platform is not None
        new_citizen(server.platform, EMAIL)
        page.goto(f"{server.url}/login")
        page.locator("#email").fill(EMAIL)
        page.locator("#password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/my/$"))  # a citizen's home

        with server.platform.sessions() as session:  # idle for longer than the timeout
            session.execute(
                update(PortalSession).values(last_seen_at=utcnow() - timedelta(minutes=2))
            )
            session.commit()
        page.locator(f"form[action='/my/consents/{TRANSPORT}'] button[type=submit]").click()

        expect(page).to_have_url(re.compile(r"/login\?next=/my/$"))
        expect(page.get_by_role("status")).to_contain_text(expired)
        page.locator("#email").fill(EMAIL)
        page.locator("#password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/my/$"))  # the consent page, never a 405
        expect(page.locator("h1")).not_to_contain_text("405")
        page.locator(f"form[action='/my/consents/{TRANSPORT}'] button[type=submit]").click()
        expect(page.get_by_role("status")).to_be_visible()  # the consent went through this time
    context.close()
