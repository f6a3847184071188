"""The analyst's planner in Chromium: policy defaults, warnings, confirmation, with and without JS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.platform.releases.city import TinyCity
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, new_staff

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots" / "console"


def _sign_in(page, url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/console/")


def _issue_case(page) -> None:  # type: ignore[no-untyped-def]
    """Count and mean trip duration by district for one month at epsilon 0.5."""
    page.get_by_role("link", name="Query trips").click()
    page.get_by_label("Count of records", exact=True).check()
    page.get_by_label("Mean of duration_min (minutes)", exact=True).check()
    page.get_by_label("district", exact=True).check()
    page.get_by_label("First month").select_option("2025-03")
    page.get_by_label("Last month").select_option("2025-03")
    page.get_by_label("Epsilon to spend").fill("0.5")


def _check_release_page(page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/console/releases/rel-"))
    expect(page.locator("#query-words")).to_contain_text(
        "Count of records and mean of duration_min (minutes) by district, "
        "for month 2025-03; Laplace mechanism"
    )
    expect(page.locator("figure.chart-figure")).to_have_count(2)
    expect(page.locator("svg.chart .axis-label").first).to_have_text("Records")
    expect(page.locator("#budgets .remaining")).to_have_text("3.5")


@pytest.mark.browser
def test_the_statistics_analyst_gets_a_gaussian_histogram_of_demographics(
    config, browser_page
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        assert server.platform is not None
        TinyCity(server.platform)
        new_staff(server.platform, "analyst", "sam@statistics.example", department="statistics")
        _sign_in(page, server.url, "sam@statistics.example")
        page.get_by_role("link", name="Query demographics").click()
        expect(page.get_by_label(re.compile("^Mechanism"))).to_have_value("gaussian")
        expect(page.get_by_label("Delta (Gaussian only)")).to_have_value("0.00000025")
        page.get_by_label("Count of records", exact=True).check()
        page.get_by_label("Histogram of household_size (people)", exact=True).check()
        page.get_by_label("district", exact=True).check()
        page.get_by_role("button", name="Request").click()
        spend = page.get_by_role("button", name="Spend ε 0.5 of your 2 left")
        expect(spend).to_be_focused()  # the script fetched the plan and moved focus to it
        spend.click()
        expect(page).to_have_url(re.compile(r"/console/releases/rel-"))
        expect(page.locator("#query-words")).to_contain_text(
            "Count of records and histogram of household_size (people) in 7 bins by district"
        )
        expect(page.locator("#query-words")).to_contain_text("Gaussian mechanism")
        expect(page.locator("table.chart-table")).to_have_count(2)
        expect(page.locator("#budgets .remaining").first).to_have_text("1.5")

        page.set_viewport_size({"width": 390, "height": 844})
        wide = page.evaluate(
            "[...document.querySelectorAll('main > *')]"
            ".filter(e => e.getBoundingClientRect().right > 390 || e.scrollWidth > e.clientWidth"
            " && getComputedStyle(e).overflowX !== 'auto').map(e => e.tagName + '.' + e.className)"
        )
        assert wide == [], wide  # wide tables scroll in their own box
        for i in range(page.locator("svg.chart").count()):
            chart = page.locator("svg.chart").nth(i)
            box = chart.bounding_box()
            units = chart.evaluate("svg => svg.viewBox.baseVal.width")
            assert box is not None and box["width"] <= 390
            assert box["width"] / units * 12 >= 10  # 12-unit labels stay at least 10 px
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "release-390.png"), full_page=True)
        page.locator("figure.chart-figure").nth(1).screenshot(path=str(SHOTS / "chart-390.png"))


@pytest.mark.browser
def test_planning_the_issues_query_warns_live_then_confirms(config, browser_page) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    with serve_platform(config) as server:
        assert server.platform is not None
        TinyCity(server.platform).populated(3, each=2)
        new_staff(server.platform, "analyst", "ana@transport.example", department="transport")
        _sign_in(page, server.url, "ana@transport.example")
        _issue_case(page)
        # No button pressed: the plan follows the form.
        warning = page.locator("#plan-warning")
        expect(warning).to_contain_text("is at least the value it is likely to have")
        expect(warning).to_contain_text("the interval would cover the whole range")
        expect(page.locator("#useful-epsilon")).to_contain_text("Even ε 10 would not")
        page.get_by_label("Mean of duration_min (minutes)", exact=True).uncheck()
        page.get_by_label("Epsilon to spend").fill("0.2")
        page.get_by_label("Warn unless every measure is within").select_option("0.5")
        expect(page.locator("#useful-epsilon")).to_contain_text(re.compile(r"ε 0\.\d+ would"))
        page.get_by_label("Mean of duration_min (minutes)", exact=True).check()
        page.get_by_label("Epsilon to spend").fill("0.5")
        expect(page.locator("#plan-heading")).to_contain_text("ε 0.5")
        expect(page.locator("#budgets .remaining")).to_have_text("4")
        page.get_by_role("button", name="Request").click()
        spend = page.get_by_role("button", name="Spend ε 0.5 of your 4 left")
        expect(spend).to_be_focused()
        expect(page.locator("#plan-warning")).to_be_visible()  # still warned at the decision
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "confirm-1280.png"), full_page=True)
        spend.click()
        _check_release_page(page)
        page.get_by_role("link", name="New query").click()
        expect(page.locator("#release-list .query-words").first).to_contain_text(
            "by district, for month 2025-03"
        )


@pytest.mark.browser
def test_the_planner_works_without_javascript(config, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        with serve_platform(config) as server:
            assert server.platform is not None
            TinyCity(server.platform).populated(3, each=2)
            new_staff(server.platform, "analyst", "al@transport.example", department="transport")
            _sign_in(page, server.url, "al@transport.example")
            _issue_case(page)
            page.get_by_role("button", name="Plan").click()
            expect(page).to_have_url(re.compile(r"/console/query#plan$"))  # jumps to the plan
            expect(page.locator("#plan-warning")).to_contain_text("likely to have")
            expect(page.get_by_role("button", name=re.compile("^Spend"))).to_have_count(0)
            page.get_by_role("button", name="Request").click()
            expect(page.locator("#plan-warning")).to_be_visible()
            expect(page.locator("#budgets .remaining")).to_have_text("4")
            page.get_by_role("button", name="Spend ε 0.5 of your 4 left").click()
            _check_release_page(page)
    finally:
        context.close()
