"""The console's job page through the test client: who sees it, a failed job, the JSON status."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from civicdata.app import create_app
from civicdata.config import JobSettings
from civicdata.context import Platform
from civicdata.request_scope import JOBS_EXTENSION
from tests.platform.releases.city import TinyCity
from tests.platform.releases.gated import GatedEngine
from tests.support.oauth import csrf_token, new_staff, sign_in

FORM = {
    "dataset": "trips",
    "purpose": "transport-planning",
    "measure": ["count"],
    "group_by": "district",
    "month_from": "2025-03",
    "month_to": "2025-03",
    "epsilon": "0.5",
    "action": "request",
}
NO_WAIT = JobSettings(wait_seconds=0, threads=1, heartbeat_seconds=0.1, stale_seconds=30)


@pytest.fixture
def console(platform_: Platform) -> Iterator[tuple[Any, GatedEngine, Platform]]:
    built = Platform.build(dataclasses.replace(platform_.config, jobs=NO_WAIT))
    app = create_app(platform=built)
    engine = GatedEngine(fail=RuntimeError("engine broke"))
    app.extensions[JOBS_EXTENSION].engine = engine
    yield app, engine, built
    engine.gate.set()
    app.extensions[JOBS_EXTENSION].close()
    built.engine.dispose()


def _analyst(app: Any, platform: Platform, department: str) -> tuple[Any, str]:
    client = app.test_client()
    new_staff(platform, "analyst", f"ana@{department}.example", department=department)
    assert sign_in(client, f"ana@{department}.example").status_code == 302
    return client, csrf_token(client.get("/console/?dataset=trips").text)


def test_a_job_page_shows_progress_then_the_failure_and_only_to_its_department(console) -> None:  # type: ignore[no-untyped-def]
    app, engine, platform = console
    TinyCity(platform).populated(2)
    client, token = _analyst(app, platform, "transport")
    asked = client.post("/console/query", data={**FORM, "csrf_token": token})
    confirm = re.search(r'name="confirm" value="([0-9a-f]+)"', asked.text)
    assert confirm is not None, asked.text
    spend = {**FORM, "action": "spend", "confirm": confirm[1], "csrf_token": token}
    made = client.post("/console/query", data=spend)
    assert made.status_code == 302 and "/console/jobs/job-" in made.headers["Location"]
    page_url = made.headers["Location"]
    assert engine.started.wait(30)

    page = client.get(page_url)
    assert page.status_code == 200
    assert (
        f'<noscript><meta http-equiv="refresh" content="2; url={page_url}"></noscript>' in page.text
    )
    assert "job-progress.js" in page.text and "Check again" in page.text
    status = client.get(page_url + ".json")
    assert status.status_code == 200 and status.json["page"] == page_url
    assert status.json["state"] in ("queued", "running")

    other, _ = _analyst(app, platform, "energy")
    assert other.get(page_url).status_code == 404
    assert other.get(page_url + ".json").status_code == 404
    assert client.get("/console/jobs/job-unknown").status_code == 404

    engine.gate.set()  # the engine now fails: charged, and the page says so
    deadline = time.monotonic() + 30
    while client.get(page_url + ".json").json["state"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    failed = client.get(page_url)
    assert failed.status_code == 200 and "http-equiv" not in failed.text
    assert "the reserved budget was charged" in failed.text
    assert "The reserved budget (ε 0.5) was charged." in failed.text
