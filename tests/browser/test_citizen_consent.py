"""A resident's whole journey in Chromium: consent, receipts, language, export, erasure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from civicdata.context import Platform
from consent.receipts import verify_receipt
from tests.support.live_server import serve_platform
from tests.support.smtp import outbox_link

EMAIL = "nuria@example.org"
PASSWORD = "a long enough password"
TRANSPORT_EN = "Planning bus, metro and tram services"
TRANSPORT_CA = "Planificar els serveis de bus, metro i tramvia"
ENERGY_EN = "Helping households save energy"


@pytest.mark.browser
def test_a_resident_consents_withdraws_downloads_exports_and_erases(config, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    public_key = Platform.build(config).signing.current("receipts").ed25519.public_key()
    with serve_platform(config) as server:
        page.goto(f"{server.url}/register")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Name (optional)").fill("Núria")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.goto(outbox_link(config.instance_path / "outbox", EMAIL, "/verify/"))
        page.get_by_role("button", name="Confirm my email address").click()
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="My consents", exact=True).first.click()
        expect(page.get_by_role("heading", name=TRANSPORT_EN)).to_be_visible()

        page.get_by_role("banner").get_by_role("button", name="Català").click()
        expect(page.get_by_role("heading", name=TRANSPORT_CA)).to_be_visible()
        expect(page.get_by_role("heading", name=TRANSPORT_EN)).to_have_count(0)
        page.get_by_role("banner").get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", name=TRANSPORT_EN)).to_be_visible()

        page.get_by_role("button", name=f"Give consent: {TRANSPORT_EN}").click()
        expect(page.get_by_role("status")).to_contain_text("You gave your consent")
        page.get_by_role("button", name=f"Give consent: {ENERGY_EN}").click()
        page.get_by_role("button", name=f"Withdraw consent: {ENERGY_EN}").click()
        expect(page.get_by_role("status")).to_contain_text("You withdrew your consent")
        expect(page.locator("#state-transport-planning")).to_contain_text("Given")
        expect(page.locator("#state-energy-efficiency")).to_contain_text("Withdrawn")

        page.get_by_role("link", name="History and receipts").click()
        links = page.get_by_role("link", name=re.compile("^Download the receipt"))
        expect(links).to_have_count(3)
        with page.expect_download() as receipt_download:
            page.get_by_role("link", name=re.compile(f"withdrawn {ENERGY_EN}")).click()
        document = json.loads(Path(receipt_download.value.path()).read_text(encoding="utf-8"))
        receipt = verify_receipt(document, public_key)
        assert (receipt["state"], receipt["purposeId"]) == ("withdrawn", "energy-efficiency")

        page.get_by_role("link", name="My data", exact=True).first.click()
        expect(page.locator("#identity")).to_contain_text(EMAIL)
        with page.expect_download() as data_download:
            page.get_by_role("link", name="Download my data (JSON)").click()
        exported = json.loads(Path(data_download.value.path()).read_text(encoding="utf-8"))
        assert exported["citizen"]["name"] == "Núria"
        assert len(exported["consent_history"]) == 3

        page.get_by_role("link", name="Erase me").click()
        page.get_by_label("I understand: erase my data and close my account").check()
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Erase me").click()
        expect(page.get_by_role("heading", name="Your data is erased")).to_be_visible()
        erasure = json.loads(page.locator("#erasure-receipt").inner_text())
        assert verify_receipt(erasure, public_key)["type"] == "erasure"

        page.goto(f"{server.url}/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("not right")
