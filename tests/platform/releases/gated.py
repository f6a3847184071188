"""A release engine behind a gate, for job tests: it reports progress, then waits.

::

    engine = GatedEngine()
    runner = JobRunner(platform, settings, engine=engine)
    runner.submit(...)                  # the job starts and reports 2 of 4 done
    engine.started.wait(30)
    engine.gate.set()                   # now it finishes (today's engine) or fails

It takes the ``progress(done, total)`` callback that a job passes to engines
that accept it. ``hold_progress`` keeps it from reporting anything until set.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import polars as pl

from anonymise.release import release as run_release
from anonymise.result import Release

STEPS = 4


class GatedEngine:
    def __init__(self, fail: Exception | None = None, hold_progress: bool = False) -> None:
        self.started = threading.Event()
        self.gate = threading.Event()
        self.report = threading.Event()
        if not hold_progress:
            self.report.set()
        self.fail = fail
        self.runs = 0
        self.lock = threading.Lock()

    def __call__(
        self,
        query: Any,
        frame: pl.DataFrame,
        catalog: Any,
        epsilon: Decimal,
        *,
        bounds: Any = None,
        progress: Any,
    ) -> Release:
        with self.lock:
            self.runs += 1
        if not self.report.wait(60):
            raise TimeoutError("the test never let the engine report progress")
        progress(1, STEPS)
        progress(2, STEPS)
        self.started.set()
        if not self.gate.wait(60):
            raise TimeoutError("the test never opened the gate")
        if self.fail is not None:
            raise self.fail
        progress(STEPS, STEPS)
        return run_release(query, frame, catalog, epsilon, bounds=bounds)
