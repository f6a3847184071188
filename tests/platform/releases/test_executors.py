"""The same release engine in process, on a local process pool and on a Dask cluster.

Every executor must give the same exact pre-noise totals (the shards' partial
aggregates, summed), whatever the number of shard tasks; and a Dask worker
killed in the middle of a release leaves it failed and charged once, with no
release stored.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import signal
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal
from typing import Any

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster
from sqlalchemy import func, select

from anonymise.components import components
from anonymise.partials import Partials, Work
from anonymise.query import Filter, Measure, Query
from anonymise.sensitivity import ContributionBounds
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.models import StoredRelease
from civicdata.models.audit import AuditEvent
from civicdata.releases import executors
from civicdata.releases.errors import ReleaseNotComputed
from civicdata.releases.executors import (
    DaskCluster,
    InProcess,
    LocalPool,
    ShardedRecords,
    executor_for,
)
from civicdata.releases.service import ReleaseService
from tests.platform.releases.city import TinyCity, count_query
from tests.platform.releases.conftest import TRANSPORT
from tests.platform.releases.test_ledger import _states

QUERY = Query(
    "trips",
    "transport-planning",
    (
        Measure("count", "n"),
        Measure("mean", "m", "duration_min"),
        Measure("histogram", "h", "duration_min", bins=(0.0, 20.0, 120.0)),
        Measure("median", "q", "duration_min"),
        Measure("distinct_citizens", "d"),
    ),
    ("district",),
    (Filter("month", ("2025-03",)),),
    Decimal(1),
)


def _city(city: TinyCity, citizens: int = 24) -> frozenset[str]:
    """Citizens with varied trips in March and other months; all consenting."""
    rng = np.random.default_rng(7)
    ids = city.citizens(citizens)
    districts = ["Harbour", "Old Town", "Northbank"]
    for i, cid in enumerate(ids):
        for month in ("2025-02", "2025-03"):
            city.trips(
                [cid],
                each=int(rng.integers(1, 4)),
                district=districts[i % 3],
                month=month,
                duration_min=float(rng.integers(1, 90)),
            )
    city.consent(ids)
    return frozenset(ids)


def _work(platform: Platform) -> Work:
    trips = platform.catalog.datasets["trips"]
    bounds = ContributionBounds(5, 2, None)
    return Work(QUERY, trips, bounds, tuple(components(QUERY, trips, bounds)), secrets.randbits(63))


def _same(a: Partials, b: Partials) -> bool:
    return a.rows == b.rows and all(
        np.array_equal(x, y) for x, y in zip(a.parts, b.parts, strict=True)
    )


def _worker_env(config: Config) -> dict[str, str]:
    """What a `dask worker` node sets: the platform's database and key manager settings."""
    return {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(config.instance_path),
        "CIVIC_KEYS_DIR": str(config.keys_dir),
        "CIVIC_KEYRING": str(config.keyring_path),
        "CIVIC_DATABASE_URL": config.database_url,
        "CIVIC_CITY_DIR": str(config.city_dir),
    }


@pytest.fixture
def cluster(config: Config) -> Iterator[LocalCluster]:
    """A real Dask cluster of two worker processes; a lost task is not retried."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=_worker_env(config),
        ) as started,
    ):
        yield started


def test_in_process_totals_do_not_depend_on_the_number_of_tasks(
    city: TinyCity, platform_: Platform
) -> None:
    eligible = _city(city)
    work = _work(platform_)
    seen: list[tuple[int, int]] = []
    one = ShardedRecords(InProcess(platform_), eligible, None, tasks=1)(work, None)
    many = ShardedRecords(InProcess(platform_), eligible, None, tasks=7)(
        work, lambda done, total: seen.append((done, total))
    )
    assert one.rows > 0 and _same(one, many)
    assert seen == [(i, 7) for i in range(1, 8)]


@pytest.mark.slow
def test_a_local_pool_gives_the_in_process_totals(
    city: TinyCity, platform_: Platform, config: Config
) -> None:
    eligible = _city(city)
    work = _work(platform_)
    expected = ShardedRecords(InProcess(platform_), eligible, None, tasks=3)(work, None)
    pool = LocalPool(config, 2)
    try:
        assert _same(ShardedRecords(pool, eligible, None)(work, None), expected)
    finally:
        pool.close()


@pytest.mark.slow
def test_a_dask_cluster_gives_the_in_process_totals(
    city: TinyCity, platform_: Platform, cluster: LocalCluster
) -> None:
    eligible = _city(city)
    work = _work(platform_)
    expected = ShardedRecords(InProcess(platform_), eligible, None, tasks=5)(work, None)
    dask_cluster = DaskCluster(cluster.scheduler_address)
    try:
        assert dask_cluster.workers == 2
        assert _same(ShardedRecords(dask_cluster, eligible, None)(work, None), expected)
    finally:
        dask_cluster.close()


@pytest.mark.slow
def test_a_worker_killed_mid_release_leaves_it_failed_and_charged_once(
    city: TinyCity, config: Config, cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    _city(city)
    monkeypatch.setattr(executors, "TASKS_PER_WORKER", 16)  # tasks still queued after the first
    platform = Platform.build(dataclasses.replace(config, dask_scheduler=cluster.scheduler_address))
    client = Client(cluster.scheduler_address)
    pids: dict[str, Any] = client.run(os.getpid)
    killed: list[int] = []

    def kill_a_worker(done: int, total: int) -> None:
        """After the first shard task, kill a worker that is running another."""
        if killed:
            return
        busy = [address for address, keys in client.processing().items() if keys]
        assert busy, "no shard task left running to interrupt"
        os.kill(pids[busy[0]], signal.SIGKILL)
        killed.append(pids[busy[0]])

    try:
        with pytest.raises(ReleaseNotComputed) as failed:
            ReleaseService(platform).request(TRANSPORT, count_query("0.5"), progress=kill_a_worker)
        assert killed and failed.value.charged
        assert _states(platform) == [("spent", 500_000)]
        with platform.sessions() as session:
            assert session.scalar(select(func.count()).select_from(StoredRelease)) == 0
            failures = session.scalar(
                select(func.count()).where(AuditEvent.action == "release.failed")
            )
        assert failures == 1
    finally:
        executor_for(platform).close()  # the platform's own client of the cluster
        client.close()
        platform.engine.dispose()


def _die(*_: object) -> None:
    os._exit(1)  # a worker process lost mid-task


@pytest.mark.slow
def test_a_local_pool_that_lost_a_worker_fails_the_release_and_recovers(
    city: TinyCity, platform_: Platform, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    eligible = _city(city, citizens=6)
    work = _work(platform_)
    pool = LocalPool(config, 2)
    try:
        expected = ShardedRecords(pool, eligible, None)(work, None)
        broken = pool._executor().submit(_die)
        with pytest.raises(BrokenProcessPool):
            broken.result()
        with pytest.raises(BrokenProcessPool):
            ShardedRecords(pool, eligible, None)(work, None)
        assert _same(ShardedRecords(pool, eligible, None)(work, None), expected)
    finally:
        pool.close()
