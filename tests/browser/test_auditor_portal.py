"""An auditor signs in, filters the log, opens an entry, sees its proof verified and the budget chart."""

from __future__ import annotations

import re

import pytest

from civicdata.audit import record_event
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, new_staff

EMAIL = "auditor@example.org"


@pytest.mark.browser
def test_auditor_filters_opens_an_entry_sees_its_proof_and_the_budget_chart(
    config, browser_page
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        platform = server.platform
        new_staff(platform, "auditor", EMAIL)
        with platform.sessions() as session:
            transport = [
                record_event(
                    session,
                    actor="client:transport-app",
                    action="release.request",
                    department="transport" if i % 3 == 0 else "health",
                    dataset="trips",
                    purpose="mobility",
                    n=i,
                ).id
                for i in range(9)
            ][::3]
            session.commit()

        page.goto(f"{server.url}/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Audit log").click()
        expect(page).to_have_url(re.compile(r"/auditor/events$"))

        page.get_by_label("Department").select_option("transport")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"department=transport"))
        rows = page.locator("#events tbody tr")
        expect(rows).to_have_count(len(transport))
        for row in range(len(transport)):
            expect(rows.nth(row).locator("td").nth(5)).to_have_text("transport")

        chosen = transport[1]
        page.get_by_role("link", name=f"Entry {chosen}", exact=True).click()
        expect(page.get_by_role("heading", name=f"Audit entry {chosen}")).to_be_visible()
        expect(page.locator("#proof-status")).to_contain_text(
            "Inclusion proof verified against the signed checkpoint of size"
        )
        expect(page.locator("ol.proof li").first).to_be_visible()
        expect(page.locator("#entry")).to_contain_text('"n":3')

        page.get_by_role("link", name="Budgets spent").click()
        expect(page).to_have_url(re.compile(r"/auditor/budgets$"))
        chart = page.locator("svg.chart").first
        expect(chart).to_be_visible()
        expect(chart.locator("title").first).to_contain_text("spent per grant")
        grants = page.locator("#grants tbody tr")
        expect(grants).not_to_have_count(0)
        expect(chart.locator("g")).to_have_count(grants.count())
