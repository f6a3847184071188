"""Registration and reset requests cost about the same whether or not the email has an account.

Timed through the portal's real routes (Flask test client, the instance's
argon2 parameters, mail to the outbox folder), ``REPEAT`` posts each, the
median reported; the ratio to the "new email" / "account exists" baseline
should stay near 1, so timing does not tell whether an address is registered.
Each post comes from its own client address, so the rate limits stay out of it.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

from benchmarks.instance import BenchInstance
from benchmarks.report import Measurement
from civicdata.app import create_app

REPEAT = 7
PASSWORD = "violin ferry marmalade"  # noqa: S105 - a benchmark account
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEW, TAKEN = "register, new email", "register, email taken"
KNOWN, UNKNOWN = "reset, account exists", "reset, no account"


def _timed_post(client: Any, path: str, address: str, form: dict[str, str]) -> float:
    page = client.get(path, environ_base={"REMOTE_ADDR": address})
    csrf = CSRF.search(page.text)
    assert csrf, f"no CSRF token on {path}"
    started = time.perf_counter()
    answer = client.post(
        path, data={**form, "csrf_token": csrf.group(1)}, environ_base={"REMOTE_ADDR": address}
    )
    seconds = time.perf_counter() - started
    assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return seconds


def run(instance: BenchInstance) -> list[Measurement]:
    client = create_app(platform=instance.platform).test_client()
    register = {"password": PASSWORD, "confirm": PASSWORD}
    times: dict[str, list[float]] = {NEW: [], TAKEN: [], KNOWN: [], UNKNOWN: []}
    for i in range(REPEAT):
        email = f"bench-{i}@example.org"
        address = f"10.77.{i}.1"
        times[NEW].append(_timed_post(client, "/register", address, {**register, "email": email}))
        times[TAKEN].append(
            _timed_post(client, "/register", address + "0", {**register, "email": email})
        )
        times[KNOWN].append(_timed_post(client, "/reset", address + "1", {"email": email}))
        times[UNKNOWN].append(
            _timed_post(client, "/reset", address + "2", {"email": f"nobody-{i}@example.org"})
        )
    baseline = {NEW: (), TAKEN: (NEW,), KNOWN: (), UNKNOWN: (KNOWN,)}
    return [
        Measurement(name, 1, statistics.median(seconds), baseline[name], note="median per post")
        for name, seconds in times.items()
    ]
