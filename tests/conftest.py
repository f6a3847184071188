"""Shared fixtures: configuration, key files and databases on every backend.

Storage tests take the ``db_url`` fixture, which is parametrised over SQLite
and PostgreSQL. PostgreSQL runs when ``CIVIC_TEST_DATABASE_URL`` is set (each
test session gets a fresh database of its own, so parallel runs never collide)
and is skipped with a reason otherwise; under CI (``CI=true``) a missing or
unreachable PostgreSQL fails the run instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from civicdata import migrations
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.db import make_engine
from civicdata.keys import ensure_keys
from civicdata.tables import all_metadata

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ENV = "CIVIC_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


def make_config(instance: Path, keys_dir: Path, database_url: str) -> Config:
    """A testing configuration with cheap password hashing."""
    return Config.from_env(
        {
            "CIVIC_ENV": "testing",
            "CIVIC_INSTANCE_PATH": str(instance),
            "CIVIC_KEYS_DIR": str(keys_dir),
            "CIVIC_KEYRING": str(keys_dir / "keyring.json"),
            "CIVIC_DATABASE_URL": database_url,
            "CIVIC_ARGON2_TIME_COST": "1",
            "CIVIC_ARGON2_MEMORY_KIB": "64",
        }
    )


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One set of key files for the whole session (tests that rotate copy it)."""
    path = tmp_path_factory.mktemp("keys")
    config = make_config(path.parent, path, "sqlite://")
    ensure_keys(config)
    return path


class _Databases:
    """Creates one migrated database per backend, lazily, for the session."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.urls: dict[str, str] = {}
        self.created_pg: list[str] = []

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            url = self._sqlite() if backend == "sqlite" else self._postgresql()
            migrations.upgrade(url)
            # Tables still waiting for their migration are created directly, so
            # work in progress is testable; test_migrations.py insists they get one.
            engine = make_engine(url)
            for metadata in all_metadata():
                metadata.create_all(engine)
            engine.dispose()
            self.urls[backend] = url
        return self.urls[backend]

    def _sqlite(self) -> str:
        return f"sqlite:///{self.tmp / 'test.db'}"

    def _postgresql(self) -> str:
        base = os.environ.get(PG_ENV)
        if not base:
            reason = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
            if IN_CI:
                pytest.fail(f"CI=true but {reason}", pytrace=False)
            pytest.skip(reason)
        name = f"civic_test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            message = f"PostgreSQL at {make_url(base).render_as_string()} unreachable: {exc}"
            if IN_CI:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        finally:
            admin.dispose()
        self.created_pg.append(name)
        return make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        base = os.environ.get(PG_ENV)
        if not base or not self.created_pg:
            return
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created_pg:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


def _truncate(url: str) -> None:
    """Empty every table. On PostgreSQL the append-only triggers on the audit log and
    consent history are bypassed for this transaction only (as the superuser may)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for metadata in all_metadata():
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, _databases: _Databases) -> Iterator[str]:
    """A migrated, empty database on each backend; emptied again after the test."""
    url = _databases.url(request.param)
    _truncate(url)
    yield url
    _truncate(url)


@pytest.fixture
def config(tmp_path: Path, keys_dir: Path, db_url: str) -> Config:
    return make_config(tmp_path, keys_dir, db_url)


@pytest.fixture
def platform_(config: Config) -> Iterator[Platform]:
    """The platform services on the test database (named to avoid the stdlib module)."""
    built = Platform.build(config)
    yield built
    built.engine.dispose()


@pytest.fixture
def app(platform_: Platform):  # type: ignore[no-untyped-def]
    from civicdata.app import create_app

    return create_app(platform=platform_)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.storage)
