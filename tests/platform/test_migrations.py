"""Alembic migrations create exactly the schema the models declare."""

from __future__ import annotations

import pytest
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


def _rows_before_shards(url: str) -> None:
    """A citizen with a key and two blocks, as 0006 stored them (no shard)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into citizens (id, created_at, registered) values ('c-1', '2025-01-01', 0)"
        )
        conn.exec_driver_sql(
            "insert into citizen_keys (citizen_id, master_key_id, wrapped, created_at) "
            "values ('c-1', 'kek-00001', x'00', '2025-01-01')"
        )
        for block in ("b-1", "b-2"):
            conn.exec_driver_sql(
                "insert into record_blocks (id, citizen_id, dataset, layout, bucket, n_records,"
                f" ciphertext, created_at) values ('{block}', 'c-1', 'trips', 'x', 24302, 1,"
                " x'00', '2025-01-01')"
            )
    engine.dispose()


def test_record_shards_are_backfilled_with_the_key(tmp_path) -> None:
    from civicdata.vault.blind_index import BlindIndex
    from civicdata.vault.record_shards import record_shard

    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrations.upgrade(url, "0006_record_buckets")
    _rows_before_shards(url)
    index = BlindIndex(bytes(range(32)))
    migrations.upgrade(url, blind_index=index)
    engine = create_engine(url)
    with engine.connect() as conn:
        shards = {r[0] for r in conn.exec_driver_sql("select shard from record_blocks")}
        keys = {r[0] for r in conn.exec_driver_sql("select shard from citizen_keys")}
    engine.dispose()
    assert shards == keys == {record_shard(index, "c-1")}


def test_backfilling_record_shards_without_the_key_stops(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrations.upgrade(url, "0006_record_buckets")
    _rows_before_shards(url)
    with pytest.raises(RuntimeError, match="blind-index key"):
        migrations.upgrade(url)
