"""The demo city: reproducible from its seed, encrypted, seeded once (SQLite and PostgreSQL)."""

from __future__ import annotations

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from civicdata.citizens import find_citizen
from civicdata.cli import cli
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.db import make_engine
from civicdata.demo import DemoError, citizen_count, seed_demo_city
from civicdata.demo.population import reference
from civicdata.models import AuditEvent, Citizen, RecordBlock
from civicdata.records import records_for_citizen, scan_dataset
from civicdata.tables import all_metadata
from tests.support.tamper import allow_tampering


def _plaintext(platform: Platform) -> dict[str, pl.DataFrame]:
    """Every dataset's records without pseudonyms, in a canonical order."""
    out = {}
    with platform.engine.connect() as conn:
        for name, spec in platform.catalog.datasets.items():
            frame = scan_dataset(conn, platform.vault, spec).drop("citizen_id")
            out[name] = frame.sort(frame.columns)
    return out


def _wipe(platform: Platform) -> None:
    """Empty every table, as the db_url fixture does (a bare engine, without guards,
    past the append-only triggers of the log and consent history on PostgreSQL)."""
    engine = make_engine(platform.config.database_url)
    with engine.begin() as conn:
        allow_tampering(conn)
        for metadata in all_metadata():
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    engine.dispose()


def test_the_same_seed_gives_the_same_city(platform_: Platform) -> None:
    first = seed_demo_city(platform_, citizens=40, seed=7)
    once = _plaintext(platform_)
    _wipe(platform_)
    second = seed_demo_city(platform_, citizens=40, seed=7)
    again = _plaintext(platform_)
    _wipe(platform_)
    seed_demo_city(platform_, citizens=40, seed=8)
    other = _plaintext(platform_)

    assert first.records == second.records and first.emails == second.emails
    assert set(first.citizen_ids).isdisjoint(second.citizen_ids)  # pseudonyms stay random
    for name in once:
        assert once[name].equals(again[name]), name
    assert not once["trips"].equals(other["trips"])
    assert once["trips"].height > 40 and once["demographics"].height == 40


def test_demo_citizens_are_stored_like_real_ones(platform_: Platform) -> None:
    city = seed_demo_city(platform_, citizens=30, seed=1)
    index, vault = platform_.keys.blind_index, platform_.vault
    with platform_.sessions() as session:
        assert [c for (c,) in session.execute(select(Citizen.id).order_by(Citizen.id))] == sorted(
            city.citizen_ids
        )
        for i in (0, 29):
            cid = city.citizen_ids[i]
            assert find_citizen(session, index, "email", city.emails[i]) == cid
            assert find_citizen(session, index, "register_id", reference("register_id", i)) == cid
            citizen = session.get(Citizen, cid)
            assert city.emails[i].encode() not in citizen.email_enc
            cipher = vault.cipher(session, cid)
            assert (
                cipher.open(citizen.email_enc, "citizens", "email", cid) == city.emails[i].encode()
            )
            mine = records_for_citizen(session, vault, platform_.catalog, cid)
            assert len(mine["demographics"]) == 1
            has_card = find_citizen(session, index, "travel_card", reference("travel_card", i))
            assert (has_card == cid) == ("trips" in mine)
        blocks = session.execute(select(func.count()).select_from(RecordBlock)).scalar_one()
    assert sum(city.records.values()) > blocks >= 30


def test_districts_differ_so_releases_have_something_to_show(platform_: Platform) -> None:
    seed_demo_city(platform_, citizens=1500, seed=2026)
    with platform_.engine.connect() as conn:
        energy = scan_dataset(conn, platform_.vault, platform_.catalog.datasets["electricity"])
        trips = scan_dataset(conn, platform_.vault, platform_.catalog.datasets["trips"])
    kwh = dict(energy.group_by("district").agg(pl.col("kwh").mean()).iter_rows())
    assert kwh["Hillcrest"] > 1.3 * kwh["Old Town"]
    ferry = trips.filter(pl.col("mode") == "ferry")["district"].value_counts(sort=True)
    assert ferry["district"][0] == "Harbour"
    assert trips["duration_min"].min() >= 0 and trips["duration_min"].max() <= 120


def test_seeding_refuses_a_database_with_citizens(platform_: Platform) -> None:
    seed_demo_city(platform_, citizens=5, seed=1)
    with pytest.raises(DemoError, match="already holds 5 citizen"):
        seed_demo_city(platform_, citizens=5, seed=1)


ANYWAY = ["--i-know-this-is-not-production"]  # CIVIC_ENV=testing is not development


def _env(config: Config) -> dict[str, str]:
    return {
        "CIVIC_ENV": "testing",
        "CIVIC_INSTANCE_PATH": str(config.instance_path),
        "CIVIC_KEYS_DIR": str(config.keys_dir),
        "CIVIC_KEYRING": str(config.keyring_path),
        "CIVIC_DATABASE_URL": config.database_url,
    }


def test_cli_demo_if_empty_is_idempotent(config: Config, platform_: Platform) -> None:
    runner = CliRunner()
    first = runner.invoke(
        cli, ["demo", "--citizens", "25", "--seed", "3", "--if-empty", *ANYWAY], env=_env(config)
    )
    assert first.exit_code == 0, first.output
    assert "seeded 25 citizens (seed 3)" in first.output and "trips:" in first.output
    again = runner.invoke(
        cli, ["demo", "--citizens", "25", "--if-empty", *ANYWAY], env=_env(config)
    )
    assert again.exit_code == 0, again.output
    assert "already holds 25 citizen(s); demo city not seeded" in again.output
    refused = runner.invoke(cli, ["demo", "--citizens", "25", *ANYWAY], env=_env(config))
    assert refused.exit_code == 1 and "already holds 25 citizen(s)" in refused.output

    with platform_.sessions() as session:
        assert citizen_count(session) == 25
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "demo.seed")).all()
    assert len(events) == 1
    assert events[0].details["citizens"] == 25 and events[0].details["seed"] == 3
    assert set(events[0].details) == {"citizens", "seed", "records"}
