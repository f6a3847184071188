"""A server killed (SIGKILL) mid-upload leaves nothing; the retried upload stores each record once.

The server is gunicorn in a process group of its own. The upload streams a
large NDJSON body; once the server holds uncommitted writes for it (seen in
PostgreSQL's lock table), the whole process group is killed. After a restart
the same request with the same Idempotency-Key must leave exactly the records
sent, checked by count and by decrypting them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import pytest
import requests
from sqlalchemy import func, select, text

from civicdata.app import create_app
from civicdata.citizens import find_citizen
from civicdata.models import Citizen, Ingestion, SourceRecord
from civicdata.records import scan_dataset
from tests.support.cli import cli_env
from tests.support.oauth import service_token

RECORDS = 100_000
CARDS = 4_000
CHUNK = 256 * 1024
MODES = ["bus", "metro", "tram", "bike-share", "ferry"]
DISTRICTS = ["Northbank", "Old Town", "Harbour", "Riverside"]

UNCOMMITTED_WRITES = text(
    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "WHERE c.relname = 'source_records' AND l.mode = 'RowExclusiveLock' "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.pid <> pg_backend_pid()"
)


def trip(i: int) -> dict[str, Any]:
    return {
        "source_id": f"crash-{i}",
        "travel_card": f"TC-C{i % CARDS:05d}",
        "mode": MODES[i % 5],
        "district": DISTRICTS[i % 4],
        "month": f"2025-{i % 12 + 1:02d}",
        "duration_min": round((i * 7919) % 12000 / 100, 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(config) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **cli_env(config), "CIVIC_PUBLIC_URL": url}
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--timeout", "300"]
    command += ["--no-control-socket"]
    command += ["--bind", f"127.0.0.1:{port}", "civicdata.app:create_app()"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def body_chunks(body: bytes, kill_midway: Any = None) -> Iterator[bytes]:
    for start in range(0, len(body), CHUNK):
        if kill_midway is not None and start >= len(body) // 2:
            kill_midway()
            kill_midway = None
        yield body[start : start + CHUNK]


def wait_for(condition: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the server")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_sigkill_mid_upload_then_retry_stores_each_record_once(config, platform_) -> None:
    records = [trip(i) for i in range(RECORDS)]
    body = "".join(json.dumps(r) + "\n" for r in records).encode()
    auth = {
        "Authorization": "Bearer "
        + service_token(
            create_app(platform=platform_).test_client(),
            platform_,
            role="source",
            scopes=["ingest:trips"],
        ),
        "Content-Type": "application/x-ndjson",
        "Idempotency-Key": "nightly-2026-11-23",
    }
    path = "/api/v1/datasets/trips/records/bulk"

    def count(model: Any) -> int:
        with platform_.sessions() as session:
            return session.scalar(select(func.count()).select_from(model))

    with gunicorn(config) as (url, server):

        def kill() -> None:
            with platform_.engine.connect() as conn:  # the server is writing, uncommitted
                wait_for(lambda: conn.execute(UNCOMMITTED_WRITES).scalar_one() > 0)
            assert count(SourceRecord) == 0
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)

        with pytest.raises(requests.ConnectionError):
            requests.post(url + path, data=body_chunks(body, kill), headers=auth, timeout=300)

    assert (count(SourceRecord), count(Citizen), count(Ingestion)) == (0, 0, 0)

    with gunicorn(config) as (url, _server):
        retried = requests.post(url + path, data=body_chunks(body), headers=auth, timeout=300)
        assert retried.status_code == 201, retried.text
        report = retried.json()
        assert (report["stored"], report["duplicates"]) == (RECORDS, 0)
        replayed = requests.post(url + path, data=body_chunks(body), headers=auth, timeout=300)
        assert replayed.content == retried.content

    assert (count(SourceRecord), count(Citizen), count(Ingestion)) == (RECORDS, CARDS, 1)
    with platform_.sessions() as session:
        frame = scan_dataset(session, platform_.vault, platform_.catalog.datasets["trips"])
        index = platform_.keys.blind_index
        owner = {
            card: find_citizen(session, index, "travel_card", card)
            for card in {r["travel_card"] for r in records}
        }
    expected = pl.DataFrame([{"citizen_id": owner[r["travel_card"]], **r} for r in records]).drop(
        "source_id", "travel_card"
    )
    columns = expected.columns
    assert frame.select(columns).sort(columns).equals(expected.sort(columns))
