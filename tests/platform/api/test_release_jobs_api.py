"""Releases as jobs over HTTP: 202 with Location, polling to the same release, who may read.

With ``CIVIC_RELEASE_WAIT_SECONDS`` at 0 every reserved release is answered
202 with its job; the client polls ``Location`` until ``done`` and gets the
release exactly as ``GET /api/v1/releases/<id>`` serves it. Runs on SQLite and
PostgreSQL, over a real HTTP server and through the test client.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from civicdata.app import create_app
from civicdata.config import Config, JobSettings
from civicdata.context import Platform
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.gated import STEPS, GatedEngine
from tests.support.live_server import serve_platform
from tests.support.oauth import service_token

NO_WAIT = JobSettings(wait_seconds=0, threads=2, heartbeat_seconds=0.1, stale_seconds=2)


def _bearer(
    client: Any, platform: Platform, role: str, department: str | None = None
) -> dict[str, str]:
    scopes = {"department": ["aggregates:request"], "auditor": ["audit:read"]}
    token = service_token(
        client,
        platform,
        role=role,
        scopes=scopes.get(role, ["ingest:trips"]),
        department=department,
    )
    return {"Authorization": f"Bearer {token}"}


def poll(get: Any, location: str, headers: dict[str, str], until: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        answer = get(location, headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json() if callable(answer.json) else answer.json
        if until(body):
            return body
        assert time.monotonic() < deadline, f"job stuck: {body}"
        assert answer.headers["Retry-After"] == "1"
        time.sleep(0.1)


def test_a_202_job_over_http_polls_to_done_and_gives_the_same_release(config: Config) -> None:
    with serve_platform(dataclasses.replace(config, jobs=NO_WAIT)) as server:
        assert server.platform is not None
        TinyCity(server.platform).populated(3)
        client = server.app.test_client()
        transport = _bearer(client, server.platform, "department", "transport")
        base = f"{server.url}/api/v1/releases"

        accepted = requests.post(base, json=count_query("0.5"), headers=transport, timeout=30)
        assert accepted.status_code == 202, accepted.text
        job = accepted.json()
        location = accepted.headers["Location"]
        assert location == f"/api/v1/releases/jobs/{job['id']}"
        assert accepted.headers["Retry-After"] == "1"
        assert job["state"] in ("queued", "running") and job["epsilon"] == "0.5"
        assert job["dataset"] == "trips" and "release" not in job and job["error"] is None

        done = poll(requests.get, server.url + location, transport, lambda b: b["state"] == "done")
        assert done["charged"] == {"epsilon": "0.5", "delta": "0"}
        assert done["served_from_store"] is False
        assert "transport-trips" in done["explanation"]
        assert done["release_id"] == done["release"]["id"] and done["finished_at"]
        read = requests.get(f"{base}/{done['release_id']}", headers=transport, timeout=30)
        assert read.status_code == 200
        assert read.json()["release"] == done["release"]
        assert read.json()["signature"] == done["signature"]

        again = requests.post(base, json=count_query("0.5"), headers=transport, timeout=30)
        assert again.status_code == 200 and again.json()["served_from_store"]  # no new job
        assert again.json()["release"] == done["release"]
        budgets = requests.get(f"{server.url}/api/v1/budgets", headers=transport, timeout=30)
        assert budgets.json()["grants"][0]["remaining"]["epsilon"] == "3.5"  # charged once


@pytest.fixture
def gated(platform_: Platform) -> Iterator[tuple[Any, GatedEngine, Platform]]:
    built = Platform.build(dataclasses.replace(platform_.config, jobs=NO_WAIT))
    app = create_app(platform=built)
    engine = GatedEngine()
    app.extensions["civic_jobs"].engine = engine
    yield app.test_client(), engine, built
    engine.gate.set()
    app.extensions["civic_jobs"].close()
    built.engine.dispose()


def test_a_job_shows_progress_and_only_its_department_and_auditors_read_it(gated) -> None:  # type: ignore[no-untyped-def]
    client, engine, platform = gated
    TinyCity(platform).populated(3)
    transport = _bearer(client, platform, "department", "transport")
    accepted = client.post("/api/v1/releases", json=count_query("0.5"), headers=transport)
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]

    running = poll(client.get, location, transport, lambda b: b["progress"] is not None)
    assert running["state"] == "running"
    assert running["progress"] == {"done": 2, "total": STEPS}

    auditor = _bearer(client, platform, "auditor")
    assert client.get(location, headers=auditor).json["id"] == running["id"]
    other = _bearer(client, platform, "department", "energy")
    hidden = client.get(location, headers=other)
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
    source = _bearer(client, platform, "source")
    assert client.get(location, headers=source).status_code == 403
    assert client.get(location).status_code == 401
    unknown = client.get("/api/v1/releases/jobs/job-nope", headers=transport)
    assert unknown.status_code == 404

    engine.gate.set()
    done = poll(client.get, location, transport, lambda b: b["state"] == "done")
    assert done["progress"] == {"done": STEPS, "total": STEPS}
    assert client.get(location, headers=auditor).json["release"] == done["release"]
    assert "Retry-After" not in client.get(location, headers=transport).headers


def test_the_openapi_document_describes_the_202_and_the_job(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    create = document["paths"]["/api/v1/releases"]["post"]["responses"]
    assert {"200", "201", "202", "403", "422"} <= set(create)
    assert set(create["202"]["headers"]) == {"Location", "Retry-After"}
    assert create["202"]["content"]["application/json"]["schema"]["$ref"].endswith("ReleaseJobOut")
    job = document["paths"]["/api/v1/releases/jobs/{job_id}"]["get"]
    assert {"200", "401", "403", "404"} <= set(job["responses"])
    assert job["security"] == [{"oauth2": ["aggregates:request"]}, {"oauth2": ["audit:read"]}]
    states = document["components"]["schemas"]["ReleaseJobOut"]["properties"]["state"]
    assert states["enum"] == ["queued", "running", "done", "failed"]
