"""Encrypted record blocks: writing, scanning, moving, erasing (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, delete, event, select, update

from civicdata.citizens import create_citizen, erase_citizen
from civicdata.context import Platform
from civicdata.models import Citizen, CitizenKey, CitizenLookup, RecordBlock
from civicdata.records import (
    LayoutMismatchError,
    MissingKeyError,
    RecordCodec,
    queries,
    records_for_citizen,
    scan_dataset,
    write_blocks,
)
from civicdata.vault import CitizenCipher, DecryptionError, associated_data, open_sealed
from policies.catalog import DatasetSpec, FieldSpec
from tests.support.keys import every_key_held

TRIPS_SCHEMA = {
    "citizen_id": pl.String,
    "mode": pl.String,
    "district": pl.String,
    "month": pl.String,
    "duration_min": pl.Float64,
}


def _rows(rng: np.random.Generator, spec: DatasetSpec, count: int) -> list[dict[str, Any]]:
    """Random valid records of ``spec`` (values drawn from domains and bounds)."""
    rows = []
    for _ in range(count):
        row: dict[str, Any] = {}
        for field in spec.fields.values():
            if field.type == "category":
                row[field.name] = field.domain[rng.integers(len(field.domain))]
            elif field.type == "time":
                keys = field.time_keys()
                row[field.name] = keys[rng.integers(len(keys))]
            elif field.type == "integer":
                row[field.name] = int(rng.integers(int(field.low or 0), int(field.high or 0) + 1))
            else:
                row[field.name] = float(np.round(rng.uniform(field.low, field.high), 2))
        rows.append(row)
    return rows


def _frame(records: dict[str, list[dict[str, Any]]], schema: dict[str, Any]) -> pl.DataFrame:
    rows = [{"citizen_id": cid, **row} for cid, rows in records.items() for row in rows]
    return pl.DataFrame(rows, schema=schema, orient="row")


class City:
    """A few citizens created the official way, with their ciphers."""

    def __init__(self, platform: Platform, count: int, card_prefix: str = "TC") -> None:
        self.platform = platform
        self.ciphers: dict[str, CitizenCipher] = {}
        with platform.sessions() as session:
            for i in range(count):
                citizen = create_citizen(
                    session,
                    platform.vault,
                    platform.keys.blind_index,
                    references={"travel_card": f"{card_prefix}-{i}"} if i % 2 == 0 else {},
                )
                self.ciphers[citizen.id] = platform.vault.cipher(session, citizen.id)
            session.commit()
        self.ids = list(self.ciphers)

    def spec(self, dataset: str) -> DatasetSpec:
        return self.platform.catalog.datasets[dataset]

    def write(self, dataset: str, records: dict[str, Any]) -> list[str]:
        with self.platform.sessions() as session:
            block_ids = write_blocks(session, self.ciphers, self.spec(dataset), records)
            session.commit()
        return block_ids

    def scan(self, dataset: str, citizen_ids: Any = None) -> pl.DataFrame:
        with self.platform.engine.connect() as conn:
            return scan_dataset(conn, self.platform.vault, self.spec(dataset), citizen_ids)


@pytest.fixture
def city(platform_: Platform) -> City:
    return City(platform_, 6)


@pytest.fixture
def written(city: City) -> dict[str, list[dict[str, Any]]]:
    """Trips of five citizens (two of them in two blocks), none for the sixth."""
    rng = np.random.default_rng(7)
    spec = city.spec("trips")
    first = {
        cid: _rows(rng, spec, n) for cid, n in zip(city.ids[:5], [1, 3, 12, 2, 7], strict=True)
    }
    second = {city.ids[1]: _rows(rng, spec, 4), city.ids[3]: _rows(rng, spec, 1)}
    city.write("trips", first)
    city.write("trips", second)
    city.write("library_loans", {city.ids[0]: _rows(rng, city.spec("library_loans"), 3)})
    return {cid: first[cid] + second.get(cid, []) for cid in first}


def test_scan_returns_exactly_the_records_written(city: City, written: dict[str, Any]) -> None:
    frame = city.scan("trips")
    assert frame.schema == pl.Schema(TRIPS_SCHEMA)
    assert frame.height == 30
    assert_frame_equal(frame, _frame(written, TRIPS_SCHEMA), check_row_order=False)


def test_scan_of_an_empty_dataset_has_the_schema(city: City) -> None:
    frame = city.scan("trips")
    assert frame.height == 0 and frame.schema == pl.Schema(TRIPS_SCHEMA)


def test_scan_respects_a_list_of_citizens(city: City, written: dict[str, Any]) -> None:
    chosen = [city.ids[1], city.ids[4], city.ids[5]]
    expected = _frame({cid: written[cid] for cid in chosen if cid in written}, TRIPS_SCHEMA)
    assert_frame_equal(city.scan("trips", chosen), expected, check_row_order=False)
    assert city.scan("trips", []).height == 0


def test_scan_respects_a_long_list_applied_while_streaming(
    city: City, written: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAX_BOUND_IDS", 1)
    chosen = {city.ids[0], city.ids[2], "c-not-a-citizen"}
    expected = _frame({cid: written[cid] for cid in chosen if cid in written}, TRIPS_SCHEMA)
    assert_frame_equal(city.scan("trips", chosen), expected, check_row_order=False)


def test_scan_respects_a_select_of_citizen_ids(city: City, written: dict[str, Any]) -> None:
    with_card = select(CitizenLookup.citizen_id).where(CitizenLookup.kind == "travel_card")
    holders = [cid for i, cid in enumerate(city.ids) if i % 2 == 0]
    expected = _frame({cid: written[cid] for cid in holders if cid in written}, TRIPS_SCHEMA)
    assert_frame_equal(city.scan("trips", with_card), expected, check_row_order=False)


def test_scan_inside_a_session_sees_its_uncommitted_blocks(city: City) -> None:
    rows = _rows(np.random.default_rng(1), city.spec("water"), 4)
    with city.platform.sessions() as session:
        write_blocks(session, city.ciphers, city.spec("water"), {city.ids[2]: rows})
        frame = scan_dataset(session, city.platform.vault, city.spec("water"))
        session.rollback()
    expected = _frame({city.ids[2]: rows}, frame.schema)
    assert_frame_equal(frame, expected, check_row_order=False)  # blocks per month: any order
    assert city.scan("water").height == 0


def test_records_for_citizen_gives_labelled_dicts_by_dataset(
    city: City, written: dict[str, Any]
) -> None:
    with city.platform.sessions() as session:
        mine = records_for_citizen(session, city.platform.vault, city.platform.catalog, city.ids[0])
        nobody = records_for_citizen(
            session, city.platform.vault, city.platform.catalog, city.ids[5]
        )
    assert set(mine) == {"trips", "library_loans"}
    assert mine["trips"] == written[city.ids[0]]
    assert len(mine["library_loans"]) == 3 and mine["library_loans"][0]["category"]
    assert nobody == {}


def test_write_blocks_needs_each_citizens_key_and_skips_empty(city: City) -> None:
    spec = city.spec("water")
    rows = _rows(np.random.default_rng(2), spec, 2)
    with city.platform.sessions() as session:
        assert write_blocks(session, city.ciphers, spec, {city.ids[0]: []}) == []
        with pytest.raises(KeyError, match="no data key given for citizen c-unknown"):
            write_blocks(session, city.ciphers, spec, {"c-unknown": rows})
    assert city.scan("water").height == 0


def _block(city: City, citizen_id: str, dataset: str = "trips") -> RecordBlock:
    with city.platform.sessions() as session:
        return session.scalars(
            select(RecordBlock).where(
                RecordBlock.citizen_id == citizen_id, RecordBlock.dataset == dataset
            )
        ).first()  # type: ignore[return-value]


def _move(city: City, block_id: str, **values: Any) -> None:
    with city.platform.sessions() as session:
        session.execute(update(RecordBlock).where(RecordBlock.id == block_id).values(**values))
        session.commit()


def test_a_block_moved_to_another_citizen_fails_to_decrypt(
    city: City, written: dict[str, Any]
) -> None:
    block = _block(city, city.ids[2])
    _move(city, block.id, citizen_id=city.ids[5])
    with pytest.raises(DecryptionError):
        city.scan("trips")
    with city.platform.sessions() as session, pytest.raises(DecryptionError):
        records_for_citizen(session, city.platform.vault, city.platform.catalog, city.ids[5])


def test_a_block_moved_to_another_dataset_fails(city: City, written: dict[str, Any]) -> None:
    block = _block(city, city.ids[2])
    _move(city, block.id, dataset="clinic_visits")
    with pytest.raises(LayoutMismatchError):
        city.scan("clinic_visits")
    _move(city, block.id, layout=RecordCodec(city.spec("clinic_visits")).layout)
    with pytest.raises(DecryptionError):
        city.scan("clinic_visits")


def test_a_block_under_an_old_layout_is_a_clear_error(city: City, written: dict[str, Any]) -> None:
    spec = city.spec("trips")
    extra = FieldSpec("stops", "integer", False, low=0, high=9)
    changed = replace(spec, fields={**spec.fields, "stops": extra})
    with (
        city.platform.engine.connect() as conn,
        pytest.raises(LayoutMismatchError, match="re-encoded"),
    ):
        scan_dataset(conn, city.platform.vault, changed)


def test_blocks_without_a_key_are_an_error_not_skipped(city: City, written: dict[str, Any]) -> None:
    with city.platform.sessions() as session:
        session.execute(delete(CitizenKey).where(CitizenKey.citizen_id == city.ids[2]))
        session.commit()
    with pytest.raises(MissingKeyError, match=city.ids[2]):
        city.scan("trips")


def test_erased_citizens_blocks_are_gone_and_unreadable(
    city: City, written: dict[str, Any]
) -> None:
    victim = city.ids[2]
    saved = _block(city, victim)
    with city.platform.sessions() as session:
        assert erase_citizen(session, city.platform.vault, victim)
        session.commit()
    with city.platform.sessions() as session:
        left = session.scalars(select(RecordBlock.id).where(RecordBlock.citizen_id == victim)).all()
        assert left == [] and session.get(Citizen, victim).erased_at is not None
    assert victim not in city.scan("trips")["citizen_id"].to_list()
    assert city.scan("trips").height == 30 - len(written[victim])
    ad = associated_data(victim, "trips", "records", saved.id)
    keys = every_key_held(city.platform)
    shards = city.platform.config.kek_shards
    assert len(keys) == 1 + shards + 5  # one master key, the shard keys, five citizens
    for key in keys:
        with pytest.raises(DecryptionError):
            open_sealed(key, saved.ciphertext, ad)
    # Before erasure the victim's own key opened it: the check above is not vacuous.
    assert open_sealed(city.ciphers[victim].key, saved.ciphertext, ad)


def _count_statements(engine: Engine) -> tuple[list[str], Any]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return statements, count


@pytest.mark.parametrize("how", ["all", "list", "long-list", "select"])
def test_scan_issues_as_many_statements_whatever_the_number_of_citizens(
    platform_: Platform, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement on SQLite; on PostgreSQL also the keys, and a ``Select``'s ids first."""
    monkeypatch.setattr(queries, "MAX_BOUND_IDS", 3)
    spec = platform_.catalog.datasets["electricity"]
    rng = np.random.default_rng(3)
    counts = []
    for size in (2, 25):
        city = City(platform_, size, card_prefix=f"TC{size}")
        city.write("electricity", {cid: _rows(rng, spec, 3) for cid in city.ids})
        subset = {
            "all": None,
            "list": city.ids[:2],
            "long-list": city.ids,
            "select": select(Citizen.id).where(Citizen.id.in_(city.ids)),
        }[how]
        statements, listener = _count_statements(platform_.engine)
        try:
            frame = city.scan("electricity", subset)
        finally:
            event.remove(platform_.engine, "before_cursor_execute", listener)
        assert frame.height >= 6
        assert len([s for s in statements if "record_blocks" in s]) == 1, statements
        counts.append(len(statements))
    if platform_.engine.dialect.name == "postgresql":
        assert counts == ([3, 3] if how == "select" else [2, 2])
    else:
        assert counts == [1, 1]


def test_prefetch_hands_over_every_batch_in_order_and_reraises_errors() -> None:
    from civicdata.records.store import _prefetched

    assert list(_prefetched(iter([[1], [2, 3], [4]]))) == [[1], [2, 3], [4]]

    def failing():
        yield [1]
        raise RuntimeError("connection lost")

    out = []
    with pytest.raises(RuntimeError, match="connection lost"):
        for batch in _prefetched(failing()):
            out.append(batch)
    assert out == [[1]]


def test_prefetch_stops_its_thread_when_the_consumer_stops_early() -> None:
    import threading

    from civicdata.records.store import _prefetched

    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield [i]
            i += 1

    for batch in _prefetched(endless()):
        if batch == [3]:
            break
    assert not any(t.name == "scan-prefetch" for t in threading.enumerate())
    assert len(produced) < 10


def test_postgresql_reads_blocks_in_binary(city: City, written: dict[str, Any]) -> None:
    """Ciphertexts arrive as bytes, not as hex text to parse (psycopg binary format)."""
    if city.platform.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL wire format")
    from psycopg.pq import Format

    formats: list[Any] = []

    def seen(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "FROM record_blocks" in statement:
            formats.append(cursor.format)

    event.listen(city.platform.engine, "after_cursor_execute", seen)
    try:
        assert city.scan("trips").height == 30
    finally:
        event.remove(city.platform.engine, "after_cursor_execute", seen)
    assert formats == [Format.BINARY]
