"""Prometheus metrics of the platform, safe under several gunicorn workers.

Counters and histograms live in prometheus-client's default registry. Under
gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before the
workers start (and call :func:`worker_exit` from gunicorn's ``child_exit``):
each worker then writes its values there and a scrape adds them up. The size
of the audit log is read from the database at scrape time, so every worker
reports the same number.

Labels carry catalog names only (routes, datasets, operations), never ids,
so the number of series stays bounded.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicdata.models import AuditHead
from civicdata.vault.keyring import KeyManager

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "civic_http_requests",
    "HTTP requests answered, by route and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "civic_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"]
)
RELEASES = Counter(
    "civic_releases", "Releases handed to departments.", ["dataset", "served_from_store"]
)
DENIALS = Counter("civic_release_denials", "Release requests denied by policy.", ["dataset"])
EPSILON = Counter("civic_epsilon_spent", "Epsilon charged to budgets by releases.", ["dataset"])
INGESTIONS = Counter(
    "civic_ingestions", "Uploads from data sources, by outcome.", ["dataset", "status"]
)
INGESTED = Counter(
    "civic_ingested_records", "Records received from data sources, by fate.", ["dataset", "fate"]
)
# The master-key manager wraps and unwraps only shard keys (a few hundred per
# release at most, see civicdata.vault), so every call is timed.
KEY_LATENCY = Histogram(
    "civic_key_manager_duration_seconds",
    "Time the master-key manager (keyring or HSM) takes to wrap or unwrap one shard key.",
    ["operation"],
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0),
)
_WRAP_LATENCY = KEY_LATENCY.labels("wrap")
_UNWRAP_LATENCY = KEY_LATENCY.labels("unwrap")


def exposition(sessions: sessionmaker[Session]) -> tuple[bytes, str]:
    """The text exposition of every metric (all workers') and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return body + generate_latest(_database_gauges(sessions)), CONTENT_TYPE_LATEST


def _database_gauges(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """Gauges read from the database, the same whichever worker is scraped."""
    registry = CollectorRegistry()
    size = Gauge("civic_audit_log_entries", "Entries in the audit log.", registry=registry)
    with sessions() as session:
        size.set(session.scalar(select(AuditHead.size)) or 0)
    return registry


def worker_exit(pid: int) -> None:
    """gunicorn ``child_exit`` hook: drop a dead worker's live gauges."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


class TimedKeyManager:
    """A :class:`~civicdata.vault.keyring.KeyManager` that times every wrap and unwrap."""

    def __init__(self, inner: KeyManager) -> None:
        self.inner = inner
        self.name = inner.name

    def key_ids(self) -> list[str]:
        return self.inner.key_ids()

    def has_key(self, key_id: str) -> bool:
        return self.inner.has_key(key_id)

    def preferred_primary(self) -> str | None:
        return self.inner.preferred_primary()

    def create_key(self) -> str:
        return self.inner.create_key()

    def destroy(self, key_id: str) -> None:
        self.inner.destroy(key_id)

    def wrap(self, key_id: str, plaintext: bytes, ad: bytes) -> bytes:
        with _WRAP_LATENCY.time():
            return self.inner.wrap(key_id, plaintext, ad)

    def unwrap(self, key_id: str, wrapped: bytes, ad: bytes) -> bytes:
        with _UNWRAP_LATENCY.time():
            return self.inner.unwrap(key_id, wrapped, ad)
