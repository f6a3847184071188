"""A worker process for the concurrency test: its own Platform, many release requests."""

from __future__ import annotations

from typing import Any

from civicdata.config import Config
from civicdata.context import Platform
from civicdata.releases.errors import Denied
from civicdata.releases.service import ReleaseService
from tests.platform.releases.city import count_query
from tests.platform.releases.conftest import TRANSPORT


def request_many(config: Config, start: Any, results: Any, requests: int, epsilon: str) -> None:
    """Wait for the start signal, then ask ``requests`` fresh releases; report the outcomes."""
    platform = Platform.build(config)
    service = ReleaseService(platform)
    outcomes = []
    start.wait()
    try:
        for _ in range(requests):
            try:
                service.request(TRANSPORT, count_query(epsilon, fresh=True))
                outcomes.append("released")
            except Denied as denied:
                assert denied.decision.failure is not None
                outcomes.append(denied.decision.failure.code)
    except Exception as exc:  # reported to the test, which fails on it
        outcomes.append(f"error: {exc!r}")
    finally:
        platform.engine.dispose()
        results.put(outcomes)
