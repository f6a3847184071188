"""Registration, sign-in and sign-out in the portal, in Chromium."""

from __future__ import annotations

import re

import pytest

from tests.support.live_server import serve_platform
from tests.support.smtp import outbox_link

EMAIL = "carla@example.org"
PASSWORD = "a long enough password"


@pytest.mark.browser
def test_register_sign_out_and_sign_in_again(config, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        page.goto(f"{server.url}/")
        page.get_by_role("link", name="Register").click()
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Name (optional)").fill("Carla")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#check-inbox")).to_be_visible()
        page.goto(outbox_link(config.instance_path / "outbox", EMAIL, "/verify/"))
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.get_by_role("status")).to_contain_text("confirmed")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{server.url}/account")
        expect(page.locator("#signed-in-as")).to_contain_text("resident")

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("You are signed out.")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
        page.goto(f"{server.url}/account")
        expect(page).to_have_url(re.compile(r"/login\?next="))

        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not right")

        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/account$"))  # back where the sign-in was asked
        expect(page.get_by_role("link", name="Your account (resident)")).to_be_visible()


@pytest.mark.browser
def test_registration_errors_are_shown_next_to_the_field(config, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        page.goto(f"{server.url}/register")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD + "!")
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#confirm-errors")).to_contain_text("The passwords differ.")
        expect(page.get_by_label("Repeat the password")).to_have_attribute("aria-invalid", "true")
