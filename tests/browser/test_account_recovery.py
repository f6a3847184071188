"""Email verification and password reset end to end: Chromium, the portal and a real SMTP server.

The live strength meter (a static script asking the server) is watched too.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.support.live_server import serve_platform
from tests.support.smtp import smtp_server

EMAIL = "ines@example.org"
PASSWORD = "a long enough password"
NEW_PASSWORD = "violin ferry marmalade"


@pytest.mark.browser
def test_verify_then_reset_through_real_mail(config, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with (
        smtp_server() as smtp,
        serve_platform(dataclasses.replace(config, smtp_url=smtp.url)) as server,
    ):
        page.goto(f"{server.url}/register")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Name (optional)").fill("Inés Pla")
        page.get_by_label("Password", exact=True).fill("password12345678")
        expect(page.locator("meter")).to_have_attribute("value", re.compile("^[0-2]$"))
        expect(page.locator(".strength-feedback")).to_contain_text("most common")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        expect(page.locator("meter")).to_have_attribute("value", re.compile("^[34]$"))
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#check-inbox")).to_be_visible()

        verify_link = smtp.wait_for(EMAIL).link("/verify/")
        page.goto(verify_link)
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.get_by_role("status")).to_contain_text("confirmed")
        page.goto(verify_link)
        expect(page.get_by_role("alert")).to_contain_text("used already")

        page.goto(f"{server.url}/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_role("button", name="Send me a link").click()
        expect(page.locator("#check-inbox")).to_be_visible()

        reset_link = smtp.wait_for(EMAIL, 2).link("/reset/")
        page.goto(reset_link)
        page.get_by_label("New password", exact=True).fill("Ines Pla, that's me")
        page.get_by_label("Repeat the new password").fill("Ines Pla, that's me")
        page.get_by_role("button", name="Set new password").click()
        expect(page.locator("#new-errors")).to_contain_text("email address or name")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_role("status")).to_contain_text("password is changed")

        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name="Your account (resident)")).to_be_visible()
        page.goto(reset_link)
        expect(page.get_by_role("alert")).to_contain_text("used already")
