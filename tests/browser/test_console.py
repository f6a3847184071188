"""An analyst plans, requests and downloads a release in the department console (Chromium)."""

from __future__ import annotations

import re

import pytest

from tests.platform.releases.city import TinyCity
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, new_staff

EMAIL = "ana@transport.example"


@pytest.mark.browser
def test_an_analyst_plans_requests_and_downloads_a_release(config, browser_page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        assert server.platform is not None
        TinyCity(server.platform).populated(3, each=2)
        new_staff(server.platform, "analyst", EMAIL, department="transport")

        page.goto(f"{server.url}/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Console").click()
        expect(page.locator("#budgets .remaining")).to_have_text("4")

        page.get_by_role("link", name="Query trips").click()
        page.get_by_label("Count of records", exact=True).check()
        page.get_by_label("district").check()
        page.get_by_label("First month").select_option("2025-03")
        page.get_by_label("Last month").select_option("2025-03")
        page.get_by_label("Epsilon to spend").fill("0.5")
        page.get_by_role("button", name="Plan").click()
        expect(page.locator("#plan-decision")).to_contain_text("allowed by policy transport-trips")
        expect(page.locator("#plan .expected")).to_have_text(re.compile(r"^± \d+(\.\d+)?$"))
        expect(page.locator("#budgets .remaining")).to_have_text("4")  # planning spends nothing

        page.get_by_role("button", name="Request").click()
        page.get_by_role("button", name="Spend ε 0.5 of your 4 left").click()
        expect(page).to_have_url(re.compile(r"/console/releases/rel-"))
        expect(page.locator("svg.chart .error-bar")).to_have_count(8)  # one per district
        expect(page.locator("table.chart-table tbody tr")).to_have_count(8)
        expect(page.locator("#budgets .remaining")).to_have_text("3.5")

        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        text = download.value.path().read_text()
        header, *rows = text.strip().splitlines()
        assert (
            header == "measure,kind,district,bin,quantile,value,lower,upper,half_width,rank_error"
        )
        assert len(rows) == 8
