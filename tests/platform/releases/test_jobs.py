"""Releases as jobs through the job runner: states, progress, failures and the reaper.

Every test runs on SQLite and PostgreSQL. A job's executor is "killed" either
by pretending time has passed (``reap(now=...)``) or by stopping its
heartbeat for real (``close`` without letting the engine finish), and another
runner (another executor identity) finds it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from civicdata.config import JobSettings
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import AuditEvent, BudgetReservation, ReleaseJob, StoredRelease
from civicdata.releases.errors import Denied, ReleaseNotComputed
from civicdata.releases.jobs import JobLost, JobRunner, JobView
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.conftest import TRANSPORT
from tests.platform.releases.gated import STEPS, GatedEngine

FAST = JobSettings(wait_seconds=0, threads=2, heartbeat_seconds=0.1, stale_seconds=1)


@pytest.fixture
def runners(platform_: Platform) -> Iterator[Callable[..., JobRunner]]:
    made: list[JobRunner] = []

    def make(engine: Any = None, settings: JobSettings = FAST) -> JobRunner:
        runner = JobRunner(platform_, settings, engine=engine)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.close()


def until(runner: JobRunner, job_id: str, check: Callable[[JobView], bool]) -> JobView:
    deadline = time.monotonic() + 30
    while True:
        view = runner.read(job_id)
        assert view is not None
        if check(view):
            return view
        assert time.monotonic() < deadline, f"job stuck in {view.state}"
        time.sleep(0.05)


def reservations(platform: Platform) -> list[tuple[str, int]]:
    with platform.sessions() as session:
        rows = session.execute(select(BudgetReservation.state, BudgetReservation.epsilon_units))
        return sorted((state, units) for state, units in rows)


def audit(platform: Platform) -> list[tuple[str, str, dict[str, Any]]]:
    with platform.sessions() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    return [(r.action, r.resource, r.details) for r in rows if r.action.startswith("release.")]


def settled(runner: JobRunner) -> None:
    """Wait until ``runner`` has no job left in its threads."""
    deadline = time.monotonic() + 30
    while runner._active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not runner._active


def stored(platform: Platform) -> int:
    with platform.sessions() as session:
        return len(session.scalars(select(StoredRelease.id)).all())


def test_a_job_is_queued_runs_with_progress_and_ends_done_with_the_release(
    city: TinyCity, platform_: Platform, runners: Callable[..., JobRunner]
) -> None:
    city.populated(3)
    engine = GatedEngine()
    runner = runners(engine)
    submitted = runner.submit(TRANSPORT, count_query("0.5"))
    assert submitted.pending and submitted.job_id is not None
    job_id = submitted.job_id
    first = runner.read(job_id)
    assert first is not None and first.state in ("queued", "running")
    assert first.release is None and first.error is None and not first.finished
    assert reservations(platform_) == [("reserved", 500_000)]  # charged before any data is read

    running = until(runner, job_id, lambda v: v.progress == (2, STEPS))
    assert running.state == "running" and running.percent == 50 and running.started_at is not None
    engine.gate.set()
    done = until(runner, job_id, lambda v: v.finished)

    assert done.state == "done" and done.percent == 100 and done.error is None
    assert done.release is not None and done.charged is not None
    assert done.charged.as_dict() == {"epsilon": "0.5", "delta": "0"}
    assert done.release.document["epsilon"] == "0.500000" and done.release.department == "transport"
    assert "transport-trips" in done.explanation
    assert reservations(platform_) == [("spent", 500_000)]
    assert engine.runs == 1 and stored(platform_) == 1
    actions = [(action, resource) for action, resource, _ in audit(platform_)]
    assert actions[2] == ("release.job", job_id)
    assert [a for a, _ in actions][:4] == [  # then release.publish: the policy publishes
        "release.request",
        "release.decision",
        "release.job",
        "release.spend",
    ]
    created = audit(platform_)[2][2]
    assert created["dataset"] == "trips" and created["epsilon"] == "0.5"
    assert created["reservation"].startswith("res-")


def test_a_release_done_within_the_wait_is_answered_at_once_and_its_job_reads_done(
    city: TinyCity, runners: Callable[..., JobRunner]
) -> None:
    city.populated(3)
    runner = runners(settings=JobSettings(wait_seconds=60, heartbeat_seconds=0.1, stale_seconds=1))
    submitted = runner.submit(TRANSPORT, count_query("0.5"))
    assert not submitted.pending and submitted.outcome is not None
    assert submitted.job_id is not None
    view = runner.read(submitted.job_id)
    assert view is not None and view.state == "done"
    assert view.progress is not None and view.progress[0] == view.progress[1] > 0  # every shard
    assert view.release is not None and view.release.id == submitted.outcome.release.id
    assert view.release.document == submitted.outcome.release.document

    again = runner.submit(TRANSPORT, count_query("0.5"))  # served from store: no job
    assert again.outcome is not None and again.outcome.served_from_store
    assert again.job_id is None


def test_an_invalid_or_denied_request_raises_at_once_and_makes_no_job(
    city: TinyCity, platform_: Platform, runners: Callable[..., JobRunner]
) -> None:
    city.populated(2)
    runner = runners(GatedEngine())
    with pytest.raises(Denied):
        runner.submit(TRANSPORT, count_query("2"))  # over the per-query cap
    with platform_.sessions() as session:
        assert session.scalars(select(ReleaseJob.id)).all() == []
    assert reservations(platform_) == []


def test_an_engine_failure_fails_the_job_charged(
    city: TinyCity, platform_: Platform, runners: Callable[..., JobRunner]
) -> None:
    city.populated(2)
    engine = GatedEngine(fail=RuntimeError("engine broke"))
    engine.gate.set()
    runner = runners(engine, JobSettings(wait_seconds=60, heartbeat_seconds=0.1, stale_seconds=1))
    with pytest.raises(ReleaseNotComputed) as failed:
        runner.submit(TRANSPORT, count_query("0.5"))  # it fails within the wait: raised
    assert failed.value.charged
    with platform_.sessions() as session:
        (job_id,) = session.scalars(select(ReleaseJob.id)).all()
    view = runner.read(job_id)
    assert view is not None and view.state == "failed" and view.release is None
    assert view.error == {
        "status": 500,
        "title": "Release failed",
        "detail": "the release could not be computed; the reserved budget was charged",
        "charged": True,
    }
    assert reservations(platform_) == [("spent", 500_000)]
    failures = [d for a, _, d in audit(platform_) if a == "release.failed"]
    assert len(failures) == 1 and failures[0]["charged"] is True


def test_a_dead_executors_job_is_failed_and_charged_once_and_never_published(
    city: TinyCity, platform_: Platform, runners: Callable[..., JobRunner]
) -> None:
    """The executor stops beating (as if its process died) while its engine runs; another
    process fails the job; when the stalled engine finishes after all, nothing is published."""
    city.populated(3)
    engine = GatedEngine()
    dead = runners(engine)
    job_id = dead.submit(TRANSPORT, count_query("0.5")).job_id
    assert job_id is not None and engine.started.wait(30)
    dead._closed.set()  # its heartbeat stops: to everyone else, the process is gone
    alive = runners()
    assert alive.executor != dead.executor

    early = alive.read(job_id)
    assert early is not None and early.state == "running"  # not stale yet
    failed = until(alive, job_id, lambda v: v.finished)  # stale after a second
    assert failed.state == "failed" and failed.error is not None
    assert failed.error["charged"] is True and "stopped" in failed.error["detail"]
    assert reservations(platform_) == [("spent", 500_000)]
    assert alive.reap(now=utcnow() + timedelta(hours=1)) == []  # once only

    engine.gate.set()  # the "dead" process was only stalled: its result must go nowhere
    settled(dead)
    assert stored(platform_) == 0 and engine.runs == 1
    assert reservations(platform_) == [("spent", 500_000)]
    after = alive.read(job_id)
    assert after is not None and after.state == "failed" and after.error == failed.error
    failures = [(r, d) for a, r, d in audit(platform_) if a == "release.failed"]
    assert len(failures) == 1
    resource, details = failures[0]
    assert resource.startswith("res-") and details["job"] == job_id
    assert details["charged"] is True and details["epsilon"] == "0.5"
    assert [a for a, _, _ in audit(platform_)].count("release.spend") == 0


def test_racing_reapers_fail_a_stale_job_once(
    city: TinyCity, platform_: Platform, runners: Callable[..., JobRunner]
) -> None:
    city.populated(2)
    engine = GatedEngine()
    owner = runners(engine)
    job_id = owner.submit(TRANSPORT, count_query("0.5")).job_id
    assert job_id is not None and engine.started.wait(30)
    later = utcnow() + timedelta(minutes=5)
    reapers = [runners() for _ in range(4)]
    reaped: list[list[str]] = []
    barrier = threading.Barrier(len(reapers))

    def reap(runner: JobRunner) -> None:
        barrier.wait()
        reaped.append(runner.reap(now=later))

    threads = [threading.Thread(target=reap, args=(r,)) for r in reapers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(found for ids in reaped for found in ids) == [job_id]
    engine.gate.set()  # the owner's publish finds the job failed and stores nothing
    settled(owner)
    assert stored(platform_) == 0
    assert [a for a, _, _ in audit(platform_)].count("release.failed") == 1
    assert reservations(platform_) == [("spent", 500_000)]


def _job_of(runner: JobRunner, job_id: str) -> Any:
    from civicdata.releases.jobs import _Job

    return _Job(job_id, TRANSPORT, runner.executor)


def test_a_job_is_claimed_once(city: TinyCity, platform_: Platform, runners) -> None:  # type: ignore[no-untyped-def]
    """queued -> running is one conditional update: a second claim (or another executor's)
    finds nothing to claim, so a job never runs twice."""
    city.populated(2)
    engine = GatedEngine()
    runner = runners(engine)
    job_id = runner.submit(TRANSPORT, count_query("0.5")).job_id
    assert job_id is not None and engine.started.wait(30)
    with pytest.raises(JobLost):
        runner._claim(_job_of(runner, job_id))
    other = runners()
    with pytest.raises(JobLost):
        other._claim(_job_of(other, job_id))
    engine.gate.set()
    assert until(runner, job_id, lambda v: v.finished).state == "done"
    assert engine.runs == 1 and stored(platform_) == 1


def test_an_unknown_job_reads_none(runners) -> None:  # type: ignore[no-untyped-def]
    assert runners().read("job-000000000000000000000000") is None


def test_civic_releases_jobs_lists_jobs_in_flight_and_reaps_the_dead(
    city: TinyCity,
    platform_: Platform,
    config,
    runners,  # type: ignore[no-untyped-def]
) -> None:
    from click.testing import CliRunner

    from civicdata.cli import cli
    from tests.support.cli import cli_env

    city.populated(2)
    engine = GatedEngine()
    dead = runners(engine)
    job_id = dead.submit(TRANSPORT, count_query("0.5")).job_id
    assert job_id is not None and engine.started.wait(30)
    env = {**cli_env(config), "CIVIC_JOB_HEARTBEAT_SECONDS": "0.1", "CIVIC_JOB_STALE_SECONDS": "1"}
    listed = CliRunner().invoke(cli, ["releases", "jobs"], env=env)
    assert listed.exit_code == 0, listed.output
    assert job_id in listed.output and "running" in listed.output and dead.executor in listed.output

    dead._closed.set()  # stops beating
    time.sleep(1.5)
    reaped = CliRunner().invoke(cli, ["releases", "jobs", "--reap"], env=env)
    assert reaped.exit_code == 0, reaped.output
    assert f"failed {job_id}" in reaped.output
    assert "no release job is queued or running" in reaped.output
    assert reservations(platform_) == [("spent", 500_000)]
    engine.gate.set()
    settled(dead)
    assert stored(platform_) == 0
