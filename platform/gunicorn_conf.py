"""gunicorn settings for the platform's production server.

Use: ``gunicorn -c python:civicdata.gunicorn_conf -w 4 'civicdata.app:create_app()'``.

When ``PROMETHEUS_MULTIPROC_DIR`` is set, the folder is emptied before the
workers start (a scrape must not add up a previous run's files) and a dead
worker's live gauges are dropped when gunicorn reaps it.

Every module-level name here is read by gunicorn as a setting, so helpers
are reached through their modules, never imported by name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from civicdata import metrics


def on_starting(_server: Any) -> None:
    """Empty the metrics folder before any worker writes to it."""
    folder = os.environ.get(metrics.MULTIPROC_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    """Drop the exited worker's live gauges from the metrics folder."""
    metrics.worker_exit(worker.pid)
