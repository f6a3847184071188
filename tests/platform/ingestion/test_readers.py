"""Reading bodies: line numbers, malformed lines, CSV headers, the size limit, the hash."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from civicdata.ingestion.readers import (
    CountingBody,
    MalformedBody,
    UploadTooLarge,
    csv_batches,
    ndjson_batches,
    record_batches,
)

FIELDS = ["source_id", "travel_card", "mode"]


def body(data: bytes, limit: int = 1 << 20) -> CountingBody:
    return CountingBody(io.BytesIO(data), limit, prefix=b"p")


def test_ndjson_batches_keep_line_numbers_and_report_malformed_lines() -> None:
    lines = [json.dumps({"n": i}) for i in range(7)]
    lines[2] = "{not json"
    lines[4] = "[1, 2]"
    data = ("\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:])).encode()  # a blank line 4
    batches = list(ndjson_batches(body(data), batch_size=3))
    records = [(line, r["n"]) for b in batches for line, r in zip(b.lines, b.records, strict=True)]
    assert records == [(1, 0), (2, 1), (5, 3), (7, 5), (8, 6)]
    malformed = [m for b in batches for m in b.malformed]
    assert [line for line, _ in malformed] == [3, 6]
    assert "not valid JSON" in malformed[0][1]
    assert "must be a JSON object" in malformed[1][1]


def test_two_objects_on_one_line_are_malformed_not_two_records() -> None:
    batches = list(ndjson_batches(body(b'{"a": 1}, {"b": 2}\n{"c": 3}\n')))
    assert [m[0] for m in batches[0].malformed] == [1]
    assert batches[0].records == [{"c": 3}]


def test_the_size_limit_stops_reading_mid_stream() -> None:
    data = b'{"a": 1}\n' * 1000
    with pytest.raises(UploadTooLarge):
        list(ndjson_batches(body(data, limit=len(data) - 1)))
    assert sum(len(b) for b in ndjson_batches(body(data, limit=len(data)))) == 1000


def test_the_hash_covers_prefix_and_every_byte_even_unread_ones() -> None:
    data = b'{"a": 1}\n{"a": 2}\n'
    reader = body(data)
    next(ndjson_batches(reader, batch_size=1))  # stop after the first record
    reader.drain()
    assert reader.digest() == hashlib.sha256(b"p" + data).digest()
    assert reader.size == len(data)


def test_csv_rows_become_records_with_physical_line_numbers() -> None:
    data = b'source_id,travel_card,mode\n1,TC-1,bus\n2,"TC\n2",tram\n3,TC-3\n4,TC-4,ferry\n'
    (batch,) = list(csv_batches(body(data), FIELDS))
    assert batch.records[0] == {"source_id": "1", "travel_card": "TC-1", "mode": "bus"}
    assert batch.lines == [2, 4, 6]  # the quoted newline makes record 2 end on line 4
    assert batch.malformed == [(5, "2 cells where the header has 3")]


def test_csv_accepts_a_byte_order_mark_and_columns_in_any_order() -> None:
    data = "\ufeffmode,source_id,travel_card\nbus,1,TC-1\n".encode()
    (batch,) = list(csv_batches(body(data), FIELDS))
    assert batch.records == [{"mode": "bus", "source_id": "1", "travel_card": "TC-1"}]


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        (b"source_id,travel_card,mode,colour", "colour", "unknown column"),
        (b"source_id,travel_card", "mode", "missing"),
        (b"source_id,travel_card,mode,mode", "mode", "twice"),
    ],
)
def test_a_bad_csv_header_names_the_column(header: bytes, field: str, message: str) -> None:
    with pytest.raises(MalformedBody, match=message) as caught:
        list(csv_batches(body(header + b"\n1,2,3\n"), FIELDS))
    assert caught.value.field == field
    assert caught.value.line == 1


def test_csv_that_is_not_utf8_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="UTF-8"):
        list(csv_batches(body(b"source_id,travel_card,mode\n1,\xff\xfe,bus\n"), FIELDS))


@pytest.mark.parametrize("data", [b"", b"  \n", b"[1]", b"{nope"])
def test_a_single_record_body_must_be_one_json_object(data: bytes) -> None:
    with pytest.raises(MalformedBody):
        list(record_batches(body(data)))
