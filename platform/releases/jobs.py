"""Releases as jobs: reserve now, compute in the background, report from any process.

:meth:`JobRunner.submit` runs the first half of a release
(:meth:`~civicdata.releases.service.ReleaseService.admit`: parse, serve from
store, or reserve) in the caller's thread, so an invalid query or a denial is
answered at once. A reservation made here creates its ``release_jobs`` row
(:mod:`civicdata.models.jobs`) in the reservation's own transaction, audited
as ``release.job``. The second half (read, run, publish, settle) runs on the
runner's thread pool; ``submit`` waits for it up to ``CIVIC_RELEASE_WAIT_SECONDS``
and otherwise hands back the job's id, which any process can read
(:meth:`JobRunner.read`).

Each process is one **executor** (``host:pid:random``). While it has jobs it
writes their heartbeat and progress every ``CIVIC_JOB_HEARTBEAT_SECONDS``.
Every transition is a conditional ``UPDATE`` that exactly one process wins:

- ``queued -> running`` by the executor that created the job (never another:
  a job runs once, where it was reserved);
- ``running -> done`` in the transaction that stores the release and settles
  the reservation, only while the job is still this executor's and running;
- ``running -> failed`` in the transaction that settles a failure (charged if
  the engine had started, as for any release);
- ``queued | running -> failed`` by the **reaper**, in any process, when the
  heartbeat is older than ``CIVIC_JOB_STALE_SECONDS``: the executor died (or
  stalled). The reservation is settled ``spent`` and ``release.failed`` is
  audited with ``charged: true``, in the same transaction. An executor that
  was only slow then finds its job gone and publishes nothing (:class:`JobLost`),
  so a job is never charged twice nor published after it was reported failed.

The reaper runs on each heartbeat, before each submission, and whenever a
stale job is read, so a job whose process died reads ``failed`` within
``CIVIC_JOB_STALE_SECONDS`` with no scheduler. Engines that accept a
``progress(done, total)`` callback report through it; others show none.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicdata import telemetry
from civicdata.audit import record_event
from civicdata.config import JobSettings
from civicdata.context import Platform
from civicdata.db import rows_affected, utcnow
from civicdata.models import BudgetReservation, ReleaseJob, StoredRelease
from civicdata.models.jobs import ACTIVE_STATES
from civicdata.releases import ledger
from civicdata.releases.errors import ReleaseNotComputed
from civicdata.releases.service import Admitted, Engine, Outcome, ReleaseService, Requester
from civicdata.releases.store import Published
from civicdata.vault import KeyUnavailableError
from policies.budget import Cost, text
from policies.evaluate import Decision

log = logging.getLogger(__name__)

STALE_DETAIL = (
    "the process computing this release stopped before it finished; the reserved budget was charged"
)


class JobLost(ReleaseNotComputed):
    """Another process failed this job first (its heartbeat was stale): it stays failed and
    charged, and this process neither publishes nor settles it."""

    def __init__(self) -> None:
        super().__init__(charged=True)


def new_job_id() -> str:
    return "job-" + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class JobView:
    """A job as its readers see it; ``release`` and ``charged`` once done, ``error`` if failed."""

    id: str
    department: str
    requester: str
    state: str
    progress: tuple[int, int] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    dataset: str
    purpose: str
    query_hash: str
    epsilon: Decimal
    explanation: str
    release: Published | None
    charged: Cost | None
    error: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.state not in ACTIVE_STATES

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, when the engine reports it."""
        if self.state == "done":
            return 100
        if self.progress is None or self.progress[1] <= 0:
            return None
        done, total = self.progress
        return max(0, min(100, done * 100 // total))

    def as_dict(self) -> dict[str, Any]:
        """The job's own fields (the API adds the signed release when it is done)."""
        progress = None
        if self.progress is not None:
            progress = {"done": self.progress[0], "total": self.progress[1]}
        return {
            "id": self.id,
            "state": self.state,
            "progress": progress,
            "created_at": self.created_at.isoformat(),
            "started_at": None if self.started_at is None else self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "dataset": self.dataset,
            "purpose": self.purpose,
            "query_hash": self.query_hash,
            "epsilon": text(self.epsilon),
            "release_id": None if self.release is None else self.release.id,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Submitted:
    """A submission's answer: the outcome if it finished in time, else the job to poll."""

    outcome: Outcome | None
    job_id: str | None

    @property
    def pending(self) -> bool:
        return self.outcome is None


def _error(charged: bool, cause: BaseException) -> dict[str, Any]:
    """What a failed job reports: as the synchronous answer's problem would (no data)."""
    detail = str(ReleaseNotComputed(charged=charged))
    if isinstance(cause, KeyUnavailableError):
        return {"status": 503, "title": "Service Unavailable", "detail": detail, "charged": charged}
    return {"status": 500, "title": "Release failed", "detail": detail, "charged": charged}


class _Job:
    """One job's hooks into the release flow (:class:`~civicdata.releases.service.JobHooks`)."""

    def __init__(self, job_id: str, requester: Requester, executor: str) -> None:
        self.id = job_id
        self.requester = requester
        self.executor = executor
        self.latest: tuple[int, int] | None = None  # (done, total), set in one assignment
        self.reported: tuple[int, int] | None = None  # the progress last written

    def _mine(self, session: Session, state: str, **values: Any) -> None:
        """Move this running job of this executor to ``state``, or raise :class:`JobLost`."""
        changed = session.execute(
            update(ReleaseJob)
            .where(
                ReleaseJob.id == self.id,
                ReleaseJob.state == "running",
                ReleaseJob.executor == self.executor,
            )
            .values(state=state, finished_at=utcnow(), **values)
        )
        if rows_affected(changed) != 1:
            raise JobLost()

    # -- JobHooks ----------------------------------------------------------------

    def reserved(
        self, session: Session, reservation_id: str, decision: Decision, details: dict[str, Any]
    ) -> None:
        now = utcnow()
        session.add(
            ReleaseJob(
                id=self.id,
                reservation_id=reservation_id,
                department=self.requester.department,
                requester=self.requester.actor,
                state="queued",
                executor=self.executor,
                heartbeat_at=now,
                explanation=decision.explanation,
                created_at=now,
            )
        )
        session.flush()
        record_event(
            session,
            actor=self.requester.actor,
            action="release.job",
            resource=self.id,
            decision="queued",
            policy_id=decision.policy_id,
            reservation=reservation_id,
            **details,
        )

    def progress(self, done: int, total: int) -> None:
        self.latest = (int(done), int(total))  # any thread; written by the heartbeat

    def publishing(self, session: Session, release_id: str) -> None:
        self._mine(session, "done", release_id=release_id, **self.progress_values())

    def failing(self, session: Session, charged: bool, cause: BaseException) -> None:
        self._mine(session, "failed", error=json.dumps(_error(charged, cause)))

    def progress_values(self) -> dict[str, int]:
        latest = self.latest
        if latest is None:
            return {}
        return {"progress_done": latest[0], "progress_total": latest[1]}


class JobRunner:
    """Runs releases as jobs in this process and reads and reaps everyone's.

    One per app (``app.extensions``); threads start on first use and the
    executor identity is taken anew in a forked child, so an app built before
    gunicorn forks still gives each worker its own.
    """

    def __init__(
        self,
        platform: Platform,
        settings: JobSettings | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.platform = platform
        self.settings = settings or platform.config.jobs
        self.engine = engine  # None: the release service's default engine
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._pid: int | None = None
        self._executor = ""
        self._pool: ThreadPoolExecutor | None = None
        self._beat: threading.Thread | None = None
        self._active: dict[str, _Job] = {}

    # -- this process ------------------------------------------------------------

    def _here(self) -> None:
        """Under the lock: (re)start this process's identity after a fork."""
        pid = os.getpid()
        if pid != self._pid:
            self._pid = pid
            self._executor = f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}"
            self._pool, self._beat, self._active = None, None, {}

    @property
    def executor(self) -> str:
        """This process's executor identity, as written on the jobs it runs."""
        with self._lock:
            self._here()
            return self._executor

    def service(self) -> ReleaseService:
        platform = self.platform
        return (
            ReleaseService(platform)
            if self.engine is None
            else ReleaseService(platform, self.engine)
        )

    # -- submitting --------------------------------------------------------------

    def submit(self, requester: Requester, payload: Any, wait: float | None = None) -> Submitted:
        """Admit the request now; compute it as a job and wait for it up to ``wait`` seconds.

        Raises what :meth:`ReleaseService.request` raises for a request that is
        invalid or denied, and, when the job ends within ``wait``, its failure.
        ``wait=0`` never waits: every reserved release is answered as a job.
        """
        wait = self.settings.wait_seconds if wait is None else wait
        self.reap()
        job = _Job(new_job_id(), requester, self.executor)
        service = self.service()
        admitted = service.admit(requester, payload, job)
        if isinstance(admitted, Outcome):
            telemetry.release_served(
                admitted.decision.request.dataset,
                admitted.release.id,
                admitted.charged.epsilon,
                True,
            )
            return Submitted(admitted, None)
        future = self._start(job, service, admitted)
        if wait <= 0:
            return Submitted(None, job.id)
        try:
            return Submitted(future.result(timeout=wait), job.id)
        except TimeoutError:
            return Submitted(None, job.id)

    def _start(self, job: _Job, service: ReleaseService, admitted: Admitted) -> Future[Outcome]:
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("the job runner is closed")
            self._here()
            self._active[job.id] = job
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.settings.threads, thread_name_prefix="release-job"
                )
            if self._beat is None:
                self._beat = threading.Thread(
                    target=self._heartbeat, name="release-job-heartbeat", daemon=True
                )
                self._beat.start()
            pool = self._pool
        context = contextvars.copy_context()  # the request's id stays on the job's log lines
        try:
            return pool.submit(context.run, self._run, job, service, admitted)
        except RuntimeError:
            with self._lock:
                self._active.pop(job.id, None)  # no heartbeat: the reaper fails it, charged
            raise

    def _run(self, job: _Job, service: ReleaseService, admitted: Admitted) -> Outcome:
        try:
            self._claim(job)
            outcome = service.compute(admitted, job)
        except JobLost:
            log.warning("release job %s was failed by another process; not published", job.id)
            raise
        except ReleaseNotComputed:
            raise  # settled, audited and recorded on the job by the release service
        except BaseException:
            log.exception("release job %s stopped; the reaper will fail it", job.id)
            raise
        finally:
            with self._lock:
                self._active.pop(job.id, None)
        telemetry.release_served(
            admitted.parsed.query.dataset, outcome.release.id, outcome.charged.epsilon, False
        )
        return outcome

    def _claim(self, job: _Job) -> None:
        """``queued -> running``, once, by the executor that created the job."""
        with self.platform.sessions() as session:
            now = utcnow()
            claimed = session.execute(
                update(ReleaseJob)
                .where(
                    ReleaseJob.id == job.id,
                    ReleaseJob.state == "queued",
                    ReleaseJob.executor == job.executor,
                )
                .values(state="running", started_at=now, heartbeat_at=now)
            )
            if rows_affected(claimed) != 1:
                raise JobLost()
            session.commit()

    # -- heartbeat and reaper ----------------------------------------------------

    def _heartbeat(self) -> None:
        """Beat for this process's jobs and reap others' until it has none left."""
        while not self._closed.wait(self.settings.heartbeat_seconds):
            with self._lock:
                if not self._active or os.getpid() != self._pid:
                    self._beat = None
                    return
                jobs = list(self._active.values())
            try:
                self.beat(jobs)
                self.reap()
            except Exception:  # the database may be briefly away; beat again next time
                log.warning("release job heartbeat failed", exc_info=True)
        with self._lock:
            self._beat = None

    def beat(self, jobs: Sequence[_Job]) -> None:
        """Mark ``jobs`` alive and write the progress their engines reported."""
        with self.platform.sessions() as session:
            now = utcnow()
            ids = [job.id for job in jobs]
            session.execute(
                update(ReleaseJob)
                .where(ReleaseJob.id.in_(ids), ReleaseJob.state.in_(ACTIVE_STATES))
                .values(heartbeat_at=now)
            )
            for job in jobs:
                latest = job.latest
                if latest is not None and latest != job.reported:
                    session.execute(
                        update(ReleaseJob)
                        .where(ReleaseJob.id == job.id, ReleaseJob.state == "running")
                        .values(progress_done=latest[0], progress_total=latest[1])
                    )
                    job.reported = latest
            session.commit()

    def reap(self, now: datetime | None = None, job_id: str | None = None) -> list[str]:
        """Fail every queued or running job with a stale heartbeat (or only ``job_id``).

        Returns the ids this call failed; a job another process reaps first is
        left to it. ``now`` is for tests that pretend time has passed.
        """
        now = now or utcnow()
        cutoff = now - timedelta(seconds=self.settings.stale_seconds)
        query = select(ReleaseJob.id).where(
            ReleaseJob.state.in_(ACTIVE_STATES), ReleaseJob.heartbeat_at < cutoff
        )
        if job_id is not None:
            query = query.where(ReleaseJob.id == job_id)
        with self.platform.sessions() as session:
            stale = list(session.scalars(query))
        return [found for found in stale if self._fail_stale(found, cutoff, now)]

    def _fail_stale(self, job_id: str, cutoff: datetime, now: datetime) -> bool:
        with self.platform.sessions() as session:
            failed = session.execute(
                update(ReleaseJob)
                .where(
                    ReleaseJob.id == job_id,
                    ReleaseJob.state.in_(ACTIVE_STATES),
                    ReleaseJob.heartbeat_at < cutoff,
                )
                .values(
                    state="failed",
                    finished_at=now,
                    error=json.dumps(
                        {"status": 500, "title": "Release failed", "detail": STALE_DETAIL}
                        | {"charged": True}
                    ),
                )
            )
            if rows_affected(failed) != 1:
                return False  # it beat meanwhile, or another process reaped it
            job = session.get(ReleaseJob, job_id)
            assert job is not None
            reservation = session.get(BudgetReservation, job.reservation_id)
            assert reservation is not None
            ledger.settle(session, reservation.id, "spent", now)
            cost = ledger.units_cost(reservation.epsilon_units, reservation.delta_units)
            record_event(
                session,
                actor=job.requester,
                action="release.failed",
                resource=reservation.id,
                decision="error",
                policy_id=reservation.policy_id,
                charged=True,
                epsilon=text(cost.epsilon),
                job=job.id,
                reason="no heartbeat from its process",
                department=reservation.department,
                dataset=reservation.dataset,
                purpose=reservation.purpose,
                query_hash=reservation.query_hash,
                policy_set_hash=reservation.policy_set_hash,
            )
            session.commit()
            executor = job.executor
        log.warning("release job %s failed: its process %s stopped (charged)", job_id, executor)
        return True

    # -- reading -----------------------------------------------------------------

    def in_flight(self) -> list[ReleaseJob]:
        """Every queued or running job, oldest first (for ``civic releases jobs``)."""
        with self.platform.sessions() as session:
            return list(
                session.scalars(
                    select(ReleaseJob)
                    .where(ReleaseJob.state.in_(ACTIVE_STATES))
                    .order_by(ReleaseJob.created_at)
                )
            )

    def read(self, job_id: str) -> JobView | None:
        """The job, after failing it if its process is found dead; ``None`` if unknown."""
        view = self._load(job_id)
        if view is not None and not view.finished and self.reap(job_id=job_id):
            view = self._load(job_id)
        return view

    def _load(self, job_id: str) -> JobView | None:
        with self.platform.sessions() as session:
            row = session.execute(
                select(ReleaseJob, BudgetReservation)
                .join(BudgetReservation, BudgetReservation.id == ReleaseJob.reservation_id)
                .where(ReleaseJob.id == job_id)
            ).first()
            if row is None:
                return None
            job, reservation = row
            stored = None if job.release_id is None else session.get(StoredRelease, job.release_id)
        progress = None
        if job.progress_done is not None and job.progress_total is not None:
            progress = (job.progress_done, job.progress_total)
        return JobView(
            id=job.id,
            department=job.department,
            requester=job.requester,
            state=job.state,
            progress=progress,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            dataset=reservation.dataset,
            purpose=reservation.purpose,
            query_hash=reservation.query_hash,
            epsilon=ledger.units_cost(reservation.epsilon_units, reservation.delta_units).epsilon,
            explanation=job.explanation,
            release=None if stored is None else Published.of(stored),
            charged=None
            if stored is None
            else ledger.units_cost(stored.epsilon_units, stored.delta_units),
            error=None if job.error is None else json.loads(job.error),
        )

    def close(self) -> None:
        """Stop the heartbeat and wait for running jobs (tests; a process exit does it too)."""
        self._closed.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
