"""A throw-away platform instance holding a fresh demo city, for one benchmark run."""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from civicdata import migrations
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.demo import DemoCity, seed_demo_city
from civicdata.keys import ensure_keys
from civicdata.tables import all_metadata


@dataclass
class BenchInstance:
    """The platform of the run, its demo city and how long seeding took."""

    platform: Platform
    city: DemoCity
    backend: str
    seed_seconds: float


@contextmanager
def _scratch_postgresql(base_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``base_url``, dropped afterwards."""
    name = f"civic_bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _database(tmp: Path, postgresql: str | None) -> Iterator[str]:
    if postgresql is None:
        yield f"sqlite:///{tmp / 'bench.db'}"
    else:
        with _scratch_postgresql(postgresql) as url:
            yield url


@contextmanager
def bench_instance(
    citizens: int, seed: int, postgresql: str | None = None
) -> Iterator[BenchInstance]:
    """Keys, a migrated database (SQLite file, or a scratch PostgreSQL database) and a city."""
    with (
        tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp,
        _database(Path(tmp), postgresql) as url,
    ):
        config = Config.from_env(
            {
                "CIVIC_ENV": "development",
                "CIVIC_INSTANCE_PATH": tmp,
                "CIVIC_DATABASE_URL": url,
                # A release is timed end to end: answered 201 however long it takes, never 202.
                "CIVIC_RELEASE_WAIT_SECONDS": "3600",
            }
        )
        ensure_keys(config)
        migrations.upgrade(url)
        platform = Platform.build(config)
        try:
            for metadata in all_metadata():  # tables still waiting for their migration
                metadata.create_all(platform.engine)
            started = time.perf_counter()
            with click.progressbar(
                length=citizens, label="seeding the demo city", file=None
            ) as bar:
                city = seed_demo_city(platform, citizens=citizens, seed=seed, progress=bar.update)
            seconds = time.perf_counter() - started
            backend = platform.engine.dialect.name
            yield BenchInstance(platform, city, backend, seconds)
        finally:
            platform.engine.dispose()
