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


ANALYST = "Ana Pereira"


def _auditor_city(platform) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """An analyst's denial and charges, a checkpoint kept before them, two policy sets."""
    import dataclasses
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from civicdata.audit.queries import signed_checkpoint
    from civicdata.db import utcnow
    from policies.budget import Cost
    from policies.history import record_policy_set
    from tests.support.spending import charge

    new_staff(platform, "auditor", EMAIL, name="Greta Jensen")
    analyst = new_staff(
        platform, "analyst", "ana@transport.example", department="transport", name=ANALYST
    )
    with platform.sessions() as session:
        record_event(session, actor="client:someone", action="api.access")
        session.commit()
        kept = signed_checkpoint(session, platform.signing, platform.audit_origin).note
        denial = record_event(
            session,
            actor=analyst.id,
            action="release.decision",
            resource="releases",
            decision="denied",
            policy_id="transport-trips",
            failure="budget_exhausted",
            clause="budget",
            department="transport",
            dataset="trips",
            purpose="transport-planning",
            query_hash="qh-browser",
        )
        today = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
        for days_ago, epsilon in ((3, "0.5"), (3, "0.25"), (1, "1")):
            charge(session, platform, "transport-trips", today - timedelta(days=days_ago), epsilon)
        session.commit()
        denied = (denial.id, denial.leaf_hash.hex())
    current = platform.policy_set
    libraries = current.get("libraries-loans")
    older = dataclasses.replace(
        current,
        policies=tuple(
            dataclasses.replace(p, budget=Cost(Decimal(2))) if p.id == libraries.id else p
            for p in current.policies
            if p.department != "health"
        ),
    )
    with platform.engine.begin() as conn:
        record_policy_set(conn, older, datetime(2025, 1, 1, tzinfo=UTC))
        record_policy_set(conn, current, datetime(2025, 6, 1, tzinfo=UTC))
    return {"kept": kept, "denied": denied, "from": (today - timedelta(days=6)).date()}


@pytest.mark.browser
def test_an_auditor_finds_an_analyst_reads_a_denial_proves_compares_and_charts(
    config, browser_page
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        city = _auditor_city(server.platform)
        denied_index, denied_leaf = city["denied"]  # type: ignore[misc]

        page.goto(f"{server.url}/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Audit log").click()

        # Search by the analyst's name (any part, any case) and see who they are.
        page.get_by_label("Actor").fill("pereira")
        page.get_by_role("button", name="Filter").click()
        rows = page.locator("#events tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".actor")).to_have_text(f"{ANALYST} (analyst account, transport)")

        # Open the denial and read its reason as fields.
        page.get_by_role("link", name=f"Entry {denied_index}", exact=True).click()
        expect(page.get_by_role("heading", name="Why it was denied")).to_be_visible()
        reason = page.locator("#denial")
        expect(reason).to_contain_text("budget")
        expect(reason).to_contain_text("budget_exhausted")
        expect(reason).to_contain_text("transport-trips")
        expect(page.locator("#actor-label")).to_have_text(f"{ANALYST} (analyst account, transport)")
        expect(page.locator("#leaf-hash")).to_have_text(denied_leaf)

        # Look the entry up by its leaf hash.
        page.get_by_role("link", name="Look up").click()
        page.get_by_label("Leaf hash, release or reservation id, or query hash").fill(denied_leaf)
        page.get_by_role("button", name="Look up").click()
        found = page.locator("#events tbody tr")
        expect(found).to_have_count(1)
        expect(found.first.get_by_role("link", name=f"Entry {denied_index}")).to_be_visible()

        # Paste the checkpoint kept before these entries: the log extends it.
        page.get_by_role("link", name="Check a kept checkpoint").click()
        page.get_by_label("Signed checkpoint").fill(str(city["kept"]))
        page.get_by_role("button", name="Check consistency").click()
        expect(page.locator("#consistency-status")).to_contain_text("Consistent: the log of")
        expect(page.locator("ol.proof li").first).to_be_visible()

        # Compare the policies in force at two dates, on a phone-sized screen.
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("link", name="Compare policies").click()
        page.get_by_label("First moment (UTC)").fill("2025-02-01T00:00:00")
        page.get_by_label("Second moment (UTC)").fill("2025-07-01T00:00:00")
        page.get_by_role("button", name="Compare").click()
        expect(page.locator("#compare-summary")).to_contain_text("1 added, 0 removed, 1 changed")
        change = page.locator("#change-libraries-loans")
        budget = change.get_by_role("row", name="Budget")
        expect(budget).to_contain_text("ε 2 per rolling 30 days")
        expect(budget).to_contain_text("ε 3 per rolling 30 days")
        expect(page.locator("#added")).to_contain_text("health-clinic-visits")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # The ε-per-day chart, on the same screen, and its table.
        page.get_by_role("link", name="ε per day").click()
        page.get_by_label("First day (UTC)").fill(str(city["from"]))
        page.get_by_role("button", name="Show").click()
        chart = page.locator("svg.chart.daily")
        expect(chart).to_be_visible()
        expect(chart.locator("g.panel")).to_have_count(1)
        expect(chart.locator("g.day")).to_have_count(2)  # two days with charges
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        tick = chart.locator("g.panel text").nth(2).bounding_box()
        assert tick is not None and tick["height"] >= 10  # legible on the phone
        table = page.locator("#daily tbody tr")
        expect(table).to_have_count(2)
        expect(table.first).to_contain_text("0.75")
        expect(page.locator("#verified")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
