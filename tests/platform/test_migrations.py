"""Alembic migrations create exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from civicdata import migrations
from civicdata.db import make_engine
from civicdata.tables import all_metadata


def test_migrations_match_models(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), all_metadata())
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_migrations_downgrade_to_base_and_up_again(tmp_path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrations.upgrade(url)
    command.downgrade(migrations.alembic_config(url), "base")
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = {
            r[0] for r in conn.exec_driver_sql("select name from sqlite_master where type='table'")
        }
    engine.dispose()
    assert tables <= {"alembic_version"}
    migrations.upgrade(url)
