"""The platform's app whose release engine reports some progress and then hangs.

For tests that kill the API worker in the middle of a release job::

    with gunicorn(config, workers=1, app="tests.support.hanging_release_app:create_app()"):
        ...

The engine takes the ``progress(done, total)`` callback, reports 1 of 4 and
sleeps far longer than any test waits, so the job is running when the worker dies.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from civicdata.app import create_app as platform_app
from civicdata.request_scope import JOBS_EXTENSION

HANG_SECONDS = 600


def hanging_engine(*_args: Any, progress: Any, **_kwargs: Any) -> Any:
    progress(1, 4)
    time.sleep(HANG_SECONDS)
    raise TimeoutError("the worker was supposed to be killed by now")


def create_app() -> Flask:
    app = platform_app()
    app.extensions[JOBS_EXTENSION].engine = hanging_engine
    return app
