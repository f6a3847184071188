"""The API worker running a release job dies (SIGKILL): the job reads failed, charged once.

gunicorn runs the platform with one worker whose engine hangs after reporting
some progress (:mod:`tests.support.hanging_release_app`) and a wait of 0, so
the request is answered 202 at once. Once the job is running, the worker that
runs it (named by the job's executor) is killed; gunicorn starts another, and
polling the job through it reads ``failed`` with the budget still charged:
one reservation, spent, no release, one ``release.failed`` entry, and the job
is never run again. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
import requests
from sqlalchemy import select

from civicdata.app import create_app
from civicdata.context import Platform
from civicdata.models import AuditEvent, BudgetReservation, ReleaseJob, StoredRelease
from tests.platform.releases.city import TinyCity, count_query
from tests.support.gunicorn import gunicorn
from tests.support.oauth import service_token

HANGING_APP = "tests.support.hanging_release_app:create_app()"
JOB_ENV = {
    "CIVIC_RELEASE_WAIT_SECONDS": "0",
    "CIVIC_JOB_HEARTBEAT_SECONDS": "0.2",
    "CIVIC_JOB_STALE_SECONDS": "3",
}


def poll(url: str, headers: dict[str, str], until: Any, seconds: float = 90) -> dict[str, Any]:
    """GET ``url`` until ``until(body)``, riding out the moments with no worker to answer."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            answer = requests.get(url, headers=headers, timeout=10)
        except requests.RequestException as exc:
            last = exc
        else:
            assert answer.status_code == 200, answer.text
            last = answer.json()
            if until(last):
                return last
        time.sleep(0.2)
    raise AssertionError(f"timed out; last answer: {last}")


def ledger(platform: Platform) -> tuple[list[tuple[str, int]], int, list[dict[str, Any]]]:
    with platform.sessions() as session:
        reservations = [
            (row.state, row.epsilon_units) for row in session.scalars(select(BudgetReservation))
        ]
        releases = len(session.scalars(select(StoredRelease.id)).all())
        failures = [
            event.details
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "release.failed")
            )
        ]
    return reservations, releases, failures


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_reads_failed_and_stays_charged_once(
    config, platform_: Platform
) -> None:  # type: ignore[no-untyped-def]
    TinyCity(platform_).populated(3)
    client = create_app(platform=platform_).test_client()
    token = service_token(
        client, platform_, role="department", scopes=["aggregates:request"], department="transport"
    )
    auth = {"Authorization": f"Bearer {token}"}

    with gunicorn(config, workers=1, env=JOB_ENV, app=HANGING_APP) as url:
        accepted = requests.post(
            f"{url}/api/v1/releases", json=count_query("0.5"), headers=auth, timeout=30
        )
        assert accepted.status_code == 202, accepted.text
        job_url = url + accepted.headers["Location"]
        job_id = accepted.json()["id"]
        running = poll(job_url, auth, lambda body: body["progress"] is not None)
        assert running["state"] == "running" and running["progress"] == {"done": 1, "total": 4}

        with platform_.sessions() as session:
            job = session.get(ReleaseJob, job_id)
            assert job is not None
            worker = int(job.executor.split(":")[1])
        assert worker != os.getpid()
        os.kill(worker, signal.SIGKILL)  # the API worker dies mid-job

        failed = poll(job_url, auth, lambda body: body["state"] != "running")
        assert failed["state"] == "failed" and "release" not in failed
        assert failed["error"]["charged"] is True
        assert "stopped before it finished" in failed["error"]["detail"]
        budgets = requests.get(f"{url}/api/v1/budgets", headers=auth, timeout=30).json()
        assert budgets["grants"][0]["remaining"]["epsilon"] == "3.5"

        time.sleep(4)  # more than the stale time: nothing runs it again or charges it again
        assert requests.get(job_url, headers=auth, timeout=30).json() == failed

    reservations, releases, failures = ledger(platform_)
    assert reservations == [("spent", 500_000)] and releases == 0
    assert len(failures) == 1
    assert failures[0]["job"] == job_id and failures[0]["charged"] is True
