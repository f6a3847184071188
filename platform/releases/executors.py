"""Where a release's shard tasks run: in this process, on local processes, or on Dask.

The engine (:func:`anonymise.release.release`) asks for the summed partial
aggregates of every shard through a :class:`ShardedRecords` callable. It deals
the record shards (:mod:`civicdata.vault.record_shards`) into tasks; each task
reads its shards' blocks and data keys, unwraps each key once, decrypts,
bounds and aggregates (:func:`run_task`), and returns exact partials that the
coordinator adds up. Decryption happens only where a task runs, with that
process's own key manager:

- :class:`InProcess`: in the calling process (``CIVIC_RELEASE_WORKERS=0``);
- :class:`LocalPool`: a pool of spawned worker processes (the embedded
  default, one per core), each building its platform from the same
  configuration once;
- :class:`DaskCluster`: the workers of the Dask scheduler at
  ``CIVIC_DASK_SCHEDULER``, started with ``dask worker`` on nodes where the
  platform is installed and the ``CIVIC_*`` variables (database and key
  manager) are set: each worker builds its platform from its own environment.

A task that fails, or a worker that dies, fails the whole release: there is
no partial result. (A scheduler configured to retry tasks may recompute a
lost shard elsewhere, which is safe: partials are exact and noise is drawn
once, by the coordinator, on the complete totals.)
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Protocol

from anonymise.partials import Partials, Progress, Work, shard_partials
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.records import scan_dataset
from civicdata.vault.record_shards import partition

TASKS_PER_WORKER = 2  # shards are even (a keyed hash); each task has a fixed cost


@dataclass(frozen=True, slots=True)
class ShardTask:
    """One task's share of a release: its record shards and what to compute."""

    work: Work
    shards: tuple[int, ...]
    buckets: tuple[int, ...] | None


def run_task(platform: Platform, task: ShardTask, citizen_ids: frozenset[str]) -> Partials:
    """Read, decrypt, bound and aggregate the records of one task's shards."""
    with platform.engine.connect() as connection:
        frame = scan_dataset(
            connection,
            platform.vault,
            task.work.dataset,
            citizen_ids,
            buckets=task.buckets,
            shards=task.shards,
        )
    return shard_partials(frame, task.work)


class Executor(Protocol):
    """Runs shard tasks somewhere and yields their partials as they finish."""

    @property
    def workers(self) -> int:
        """How many tasks it runs at once (tasks are dealt a few per worker)."""
        ...

    def run(self, tasks: Sequence[ShardTask], citizen_ids: frozenset[str]) -> Iterator[Partials]:
        """Every task's partials (in completion order); raises if any task fails."""
        ...

    def close(self) -> None:
        """Release the executor's processes or connections."""
        ...


class InProcess:
    """Shard tasks one after another in this process (with this platform's keys)."""

    workers = 1

    def __init__(self, platform: Platform) -> None:
        self._platform = weakref.ref(platform)  # the platform owns its executor, not the reverse

    def run(self, tasks: Sequence[ShardTask], citizen_ids: frozenset[str]) -> Iterator[Partials]:
        platform = self._platform()
        if platform is None:
            raise RuntimeError("the platform of this executor is gone")
        for task in tasks:
            yield run_task(platform, task, citizen_ids)

    def close(self) -> None:
        return None


_worker_platform: Platform | None = None


def _start_worker(config: Config) -> None:
    global _worker_platform  # one platform per worker process, built once
    _worker_platform = Platform.build(config)


def _pool_task(task: ShardTask, citizen_ids: frozenset[str]) -> Partials:
    assert _worker_platform is not None, "worker started without its platform"
    return run_task(_worker_platform, task, citizen_ids)


class LocalPool:
    """Shard tasks on ``workers`` spawned local processes (started on first use)."""

    def __init__(self, config: Config, workers: int) -> None:
        self.config = config
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=get_context("spawn"),  # no inherited threads or connections
                    initializer=_start_worker,
                    initargs=(self.config,),
                )
            return self._pool

    def run(self, tasks: Sequence[ShardTask], citizen_ids: frozenset[str]) -> Iterator[Partials]:
        try:
            futures = [self._executor().submit(_pool_task, task, citizen_ids) for task in tasks]
            yield from _completed(futures, as_completed(futures))
        except BrokenProcessPool:
            self.close()  # a worker died: this release fails, the next one gets a new pool
            raise

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


def _dask_task(task: ShardTask, citizen_ids: frozenset[str]) -> Partials:
    """Run on a Dask worker, with the platform its own environment configures."""
    global _worker_platform
    if _worker_platform is None:
        _worker_platform = Platform.build(Config.from_env())
    return run_task(_worker_platform, task, citizen_ids)


class DaskCluster:
    """Shard tasks on the workers of a Dask distributed scheduler."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._client: Any = None
        self._lock = threading.Lock()

    def _connected(self) -> Any:
        from distributed import Client

        with self._lock:
            if self._client is None:
                self._client = Client(self.address, set_as_default=False)
            return self._client

    @property
    def workers(self) -> int:
        threads = self._connected().nthreads()
        return max(1, sum(threads.values()))

    def run(self, tasks: Sequence[ShardTask], citizen_ids: frozenset[str]) -> Iterator[Partials]:
        from distributed import as_completed as dask_completed

        client = self._connected()
        [ids] = client.scatter(
            [citizen_ids], broadcast=True, hash=False
        )  # one object, not its items
        futures = [client.submit(_dask_task, task, ids, pure=False, retries=0) for task in tasks]
        with client.as_current():  # as_completed finds its client there
            yield from _completed(futures, dask_completed(futures))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _completed(futures: Sequence[Any], finished: Iterator[Any]) -> Iterator[Partials]:
    """Each finished task's partials; on the first failure, cancel the rest and raise."""
    try:
        for future in finished:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


_executors: dict[int, Executor] = {}
_executors_lock = threading.Lock()


def executor_for(platform: Platform) -> Executor:
    """The platform's executor, as its configuration names it: Dask, a local pool, or in process.

    One per platform, made on first use and closed when the platform goes.
    """
    with _executors_lock:
        found = _executors.get(id(platform))
        if found is None:
            found = _new_executor(platform)
            _executors[id(platform)] = found
            weakref.finalize(platform, _forget, id(platform))
        return found


def _forget(key: int) -> None:
    with _executors_lock:
        executor = _executors.pop(key, None)
    if executor is not None:
        executor.close()


def _new_executor(platform: Platform) -> Executor:
    config = platform.config
    if config.dask_scheduler:
        return DaskCluster(config.dask_scheduler)
    if config.release_workers > 0:
        return LocalPool(config, config.release_workers)
    return InProcess(platform)


class ShardedRecords:
    """The engine's data: a release's eligible records, in shard tasks on ``executor``."""

    def __init__(
        self,
        executor: Executor,
        citizen_ids: frozenset[str],
        buckets: Sequence[int] | None,
        tasks: int | None = None,
    ) -> None:
        self.executor = executor
        self.citizen_ids = citizen_ids
        self.buckets = None if buckets is None else tuple(buckets)
        self.tasks = tasks

    def __call__(self, work: Work, progress: Progress | None) -> Partials:
        count = self.tasks or self.executor.workers * TASKS_PER_WORKER
        tasks = [ShardTask(work, shards, self.buckets) for shards in partition(count)]
        done: list[Partials] = []
        for partial in self.executor.run(tasks, self.citizen_ids):
            done.append(partial)
            if progress is not None:
                progress(len(done), len(tasks))
        if len(done) != len(tasks):  # never a release of some shards only
            raise RuntimeError("a shard task returned no result")
        return Partials.total(done)
