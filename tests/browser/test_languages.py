"""Every page in Catalan and in Spanish, with no English left that has a translation.

Each page of ``PAGES`` is opened in a browser whose language is Catalan, then
Spanish (negotiated from ``Accept-Language``), signed in as the page's role;
``<html lang>`` must name the language shown, and no message of the English
catalogue that has a translation may appear (``tests.support.i18n_pages``).
To cover more pages, add them to ``PAGES`` (a role of ``ROLES`` or ``None``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from civicdata.context import Platform
from tests.support.i18n_pages import PAGE_TEXT_JS, Page, english_on
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, new_citizen, new_staff

LOCALES = {"ca": "ca-ES", "es": "es-ES"}
ROLES = {
    "citizen": "laia@example.org",
    "analyst": "analyst@transport.example.org",
    "auditor": "auditor@example.org",
}
PAGES = [
    Page(None, "/"),
    Page(None, "/login"),
    Page(None, "/register"),
    Page(None, "/reset"),
    Page(None, "/reset/not-a-token"),
    Page(None, "/verify/not-a-token"),
    Page(None, "/no-such-page"),
    Page(None, "/logout"),  # 405: a form's address opened as a page
    Page("citizen", "/account"),
    Page("citizen", "/my/activity"),
    Page("citizen", "/my/privacy-loss"),
    Page("analyst", "/account"),
    Page("auditor", "/auditor/events"),
    # Not yet: the events filter's refusals ("Not a valid datetime.") are marshmallow's English.
    Page("auditor", "/auditor/events/0"),
    Page("auditor", "/auditor/lookup?q=nothing-like-this"),
    Page("auditor", "/auditor/verification"),
    Page("auditor", "/auditor/consistency"),
    Page("auditor", "/auditor/policies?at=2030-01-01T00:00"),
    Page("auditor", "/auditor/budgets"),
    Page("citizen", "/auditor/events"),  # 403 for a role the page is not for
    Page(None, "/purposes"),
    Page(None, "/transparency"),
    Page("citizen", "/my/"),
    Page("citizen", "/my/history"),
    Page("citizen", "/my/apps"),
    Page("citizen", "/my/data"),
    Page("analyst", "/console/"),
    Page("analyst", "/console/?dataset=trips"),
]


def _people(platform: Platform) -> None:
    new_citizen(platform, ROLES["citizen"], name="Laia")
    new_staff(platform, "analyst", ROLES["analyst"], department="transport")
    new_staff(platform, "auditor", ROLES["auditor"])


def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in"


def _walk(browser, base: str, locale: str) -> Iterator[tuple[Page, str, str]]:  # type: ignore[no-untyped-def]
    """(page, its <html lang>, its text) for every page, each role in its own browser."""
    for role in [None, *ROLES]:
        context = browser.new_context(locale=LOCALES[locale])
        tab = context.new_page()
        if role is not None:
            _sign_in(tab, base, ROLES[role])
        for wanted in (p for p in PAGES if p.role == role):
            tab.goto(base + wanted.path)
            yield (
                wanted,
                tab.locator("html").get_attribute("lang") or "",
                tab.evaluate(PAGE_TEXT_JS),
            )
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_no_translated_english_on_any_page(config, browser, locale: str) -> None:
    with serve_platform(config) as server:
        assert server.platform is not None
        _people(server.platform)
        problems = {}
        for page, lang, text in _walk(browser, server.url, locale):
            english = english_on(text, locale)
            if lang != locale or english:
                problems[f"{page.role or 'anyone'} {page.path}"] = (lang, english)
        assert not problems, f"pages not (only) in {locale}: {problems}"


@pytest.mark.browser
def test_the_header_switch_keeps_the_reader_on_the_page(config, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        page.goto(f"{server.url}/reset")
        banner = page.get_by_role("banner")
        banner.get_by_role("button", name="Español").click()
        expect(page).to_have_url(re.compile(r"/reset$"))
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1)).to_have_text("¿Ha olvidado su contraseña?")
        expect(banner.get_by_role("button", name="Español")).to_be_disabled()
        page.goto(f"{server.url}/")
        expect(page.locator("html")).to_have_attribute("lang", "es")  # remembered
        banner.get_by_role("button", name="Català").click()
        expect(page.get_by_role("heading", name="Qui sou?")).to_be_visible()
