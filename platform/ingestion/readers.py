"""Reading an upload body as a stream of numbered records, in batches.

The body is never held whole: :class:`CountingBody` reads it chunk by chunk,
hashes every byte (the request hash behind ``Idempotency-Key``) and stops with
:class:`UploadTooLarge` past the size limit. NDJSON is split into lines by a
buffered reader and parsed a batch at a time (one ``json.loads`` per batch,
one per line only when the batch has a bad line, to name it); CSV goes through
the standard ``csv`` module with the header naming the fields.

A line that cannot be read as a record (not JSON, not an object, a CSV row
with the wrong number of cells) is *malformed*: it is reported with its line
number alongside the batch. A body that cannot be read at all (a missing or
wrong CSV header, text that is not UTF-8) raises :class:`MalformedBody`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from civicdata.json_limits import MAX_DEPTH, too_deep

FORMATS = ("ndjson", "csv")
BATCH_SIZE = 5000
CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20


class UploadTooLarge(Exception):
    """The body exceeds the configured maximum upload size."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the upload exceeds the maximum of {limit} bytes")


class MalformedBody(Exception):
    """The body cannot be read as records at all (not line by line)."""

    def __init__(self, line: int, message: str, field: str | None = None) -> None:
        self.line = line
        self.field = field
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass
class Batch:
    """Up to ``BATCH_SIZE`` parsed records with their line numbers, and malformed lines."""

    lines: list[int] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records) + len(self.malformed)


class CountingBody(io.RawIOBase):
    """A read-only view of a body stream that hashes, counts and limits what it reads."""

    def __init__(self, stream: IO[bytes], limit: int, prefix: bytes = b"") -> None:
        self._stream = stream
        self._limit = limit
        self.size = 0
        self.hash = hashlib.sha256(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        if not data:
            return 0
        self.size += len(data)
        if self.size > self._limit:
            raise UploadTooLarge(self._limit)
        self.hash.update(data)
        view[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        """Read (and hash) whatever is left of the body."""
        buffer = bytearray(CHUNK_BYTES)
        while self.readinto(buffer):
            pass

    def digest(self) -> bytes:
        return self.hash.digest()


def _parse_line(raw: bytes, what: str = "each line") -> dict[str, Any] | str:
    """One NDJSON line (or a whole single-record body) -> its object, or why it is malformed."""
    if too_deep(raw):
        return f"nested deeper than {MAX_DEPTH} levels"
    try:
        value = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return f"not valid JSON: {exc}"
    if not isinstance(value, dict):
        return f"{what} must be a JSON object"
    return value


def record_batches(body: CountingBody) -> Iterator[Batch]:
    """The single JSON object of a one-record upload (the body is small: it is read whole)."""
    raw = io.BufferedReader(body, CHUNK_BYTES).read()
    if not raw.strip():
        raise MalformedBody(1, "the body is empty: send one JSON object")
    parsed = _parse_line(raw, "the body")
    if isinstance(parsed, str):
        raise MalformedBody(1, parsed)
    yield Batch(lines=[1], records=[parsed])


def _parse_ndjson(batch: Batch, raws: list[bytes], numbers: list[int]) -> None:
    values = None
    if not any(too_deep(raw) for raw in raws):
        with contextlib.suppress(ValueError):  # a bad line: parsed one by one below
            values = json.loads(b"[" + b",".join(raws) + b"]")
    if (
        isinstance(values, list)
        and len(values) == len(raws)
        and all(type(v) is dict for v in values)
    ):
        batch.records.extend(values)
        batch.lines.extend(numbers)
        return
    for number, raw in zip(numbers, raws, strict=True):
        parsed = _parse_line(raw)
        if isinstance(parsed, str):
            batch.malformed.append((number, parsed))
        else:
            batch.records.append(parsed)
            batch.lines.append(number)


def ndjson_batches(body: CountingBody, batch_size: int = BATCH_SIZE) -> Iterator[Batch]:
    """Batches of the NDJSON records in ``body``; blank lines are skipped."""
    reader = io.BufferedReader(body, CHUNK_BYTES)
    raws: list[bytes] = []
    numbers: list[int] = []
    batch = Batch()
    number = 0
    while True:
        raw = reader.readline(MAX_LINE_BYTES)
        if not raw:
            break
        number += 1
        if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the long line
                raw = reader.readline(MAX_LINE_BYTES)
            batch.malformed.append((number, f"line longer than {MAX_LINE_BYTES} bytes"))
            continue
        if raw.isspace():
            continue
        raws.append(raw)
        numbers.append(number)
        if len(raws) >= batch_size:
            _parse_ndjson(batch, raws, numbers)
            yield batch
            raws, numbers, batch = [], [], Batch()
    if raws or batch.malformed:
        _parse_ndjson(batch, raws, numbers)
        yield batch


def csv_batches(
    body: CountingBody, expected: Collection[str], batch_size: int = BATCH_SIZE
) -> Iterator[Batch]:
    """Batches of the CSV records in ``body``; the header must name exactly ``expected``."""
    text = io.TextIOWrapper(io.BufferedReader(body, CHUNK_BYTES), encoding="utf-8-sig", newline="")
    rows = csv.reader(text, strict=True)
    try:
        header = next(rows, None)
        if header is None:
            raise MalformedBody(1, "the body is empty: a CSV upload starts with a header line")
        _check_header(header, expected)
        width = len(header)
        batch = Batch()
        for cells in rows:
            if not cells:
                continue
            if len(cells) != width:
                batch.malformed.append(
                    (rows.line_num, f"{len(cells)} cells where the header has {width}")
                )
            else:
                batch.records.append(dict(zip(header, cells, strict=True)))
                batch.lines.append(rows.line_num)
            if len(batch) >= batch_size:
                yield batch
                batch = Batch()
        if len(batch):
            yield batch
    except UnicodeDecodeError:
        raise MalformedBody(rows.line_num + 1, "the body is not UTF-8 text") from None
    except csv.Error as exc:
        raise MalformedBody(rows.line_num, f"not valid CSV: {exc}") from None


def _check_header(header: list[str], expected: Collection[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise MalformedBody(1, "column appears twice in the header", field=name)
        if name not in expected:
            raise MalformedBody(1, "unknown column", field=name)
        seen.add(name)
    for name in expected:
        if name not in seen:
            raise MalformedBody(1, "column missing from the header", field=name)
