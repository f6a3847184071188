"""Run the platform under gunicorn, in a process group of its own, for end-to-end tests.

::

    with gunicorn(config, workers=4, env={"CIVIC_RATELIMIT_STORAGE": "redis://..."}) as url:
        requests.get(f"{url}/healthz")

The server is killed (the whole group) when the ``with`` block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests

from civicdata.config import Config
from tests.support.cli import cli_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(config: Config, workers: int, env: Mapping[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environ = {**os.environ, **cli_env(config), "CIVIC_PUBLIC_URL": url, **(env or {})}
    command = [sys.executable, "-m", "gunicorn", "-c", "python:civicdata.gunicorn_conf"]
    command += ["--workers", str(workers), "--timeout", "60"]
    command += ["--no-control-socket", "--bind", f"127.0.0.1:{port}"]
    command += ["civicdata.app:create_app()"]
    process = subprocess.Popen(command, env=environ, start_new_session=True)
    try:
        deadline = time.monotonic() + 180  # four workers booting on a busy machine
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
