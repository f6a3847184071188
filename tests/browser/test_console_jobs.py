"""A release that outlasts the wait: the console shows the job's progress, then the release.

The live server answers every release as a job (wait 0) and its engine
reports 2 of 4 steps when the test lets it, then waits for the test
(:class:`GatedEngine`). With JavaScript the page polls, shows the progress
without reloading and follows the job to the release; without it the page
refreshes itself (and offers "Check again") until the release is there.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from civicdata.config import JobSettings
from civicdata.request_scope import JOBS_EXTENSION
from tests.platform.releases.city import TinyCity
from tests.platform.releases.gated import GatedEngine
from tests.support.browser import TIMEOUT_MS
from tests.support.live_server import serve_platform
from tests.support.oauth import PASSWORD, new_staff

EMAIL = "ana@transport.example"
NO_WAIT = JobSettings(wait_seconds=0, threads=2, heartbeat_seconds=0.1, stale_seconds=30)


def _request_a_release(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/console/?dataset=trips")
    page.get_by_label("Count of records", exact=True).check()
    page.get_by_label("district").check()
    page.get_by_label("First month").select_option("2025-03")
    page.get_by_label("Last month").select_option("2025-03")
    page.get_by_label("Epsilon to spend").fill("0.5")
    page.get_by_role("button", name="Request").click()
    page.get_by_role("button", name="Spend ε 0.5 of your 4 left").click()


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_console_shows_a_jobs_progress_then_the_release(config, browser, javascript) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    engine = GatedEngine(hold_progress=True)
    try:
        with serve_platform(dataclasses.replace(config, jobs=NO_WAIT)) as server:
            assert server.platform is not None
            server.app.extensions[JOBS_EXTENSION].engine = engine
            TinyCity(server.platform).populated(3, each=2)
            new_staff(server.platform, "analyst", EMAIL, department="transport")

            _request_a_release(page, server.url)
            expect(page).to_have_url(re.compile(r"/console/jobs/job-[0-9a-f]+(#plan)?$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Release of trips for transport-planning"
            )
            expect(page.locator("#job-progress-text")).to_have_text("progress not known yet")
            expect(page.get_by_role("link", name="Check again")).to_be_visible()
            if javascript:
                page.evaluate("window.sameDocument = true")
            else:  # the page reloads itself until the job is done
                expect(page.locator("noscript")).to_have_count(1)

            engine.report.set()
            expect(page.locator("#job-progress-text")).to_have_text("2 of 4 done")
            expect(page.locator("#job-state")).to_have_text("Computing")
            expect(page.locator("#job-progress")).to_have_attribute("value", "50")
            if javascript:  # updated in place by the script, not by a reload
                assert page.evaluate("window.sameDocument") is True

            engine.gate.set()
            expect(page).to_have_url(re.compile(r"/console/releases/rel-[0-9a-f]+"))
            expect(page.locator("#cells tbody tr")).to_have_count(8)
            expect(page.locator("#budgets .remaining")).to_have_text("3.5")
    finally:
        engine.report.set()
        engine.gate.set()
        context.close()
