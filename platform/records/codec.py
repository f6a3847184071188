"""Fixed-width packing of one dataset's records, the plaintext of a record block.

Each catalog field maps to a little-endian column of a numpy structured dtype:
a category to a ``uint16`` index into its public domain, an integer to
``int32`` (``int64`` when its bounds need it), a number to ``float64``, a month
to ``int32`` months since year 0 (:func:`policies.catalog.month_index`) and a
day to ``int32`` days since 1970-01-01. A block's plaintext is the 16-byte
layout tag followed by the packed rows, so a block is never read under a
different field layout.

The layout hashes field names, types and storage formats, not domain values:
a domain may grow by appending values (stored indexes keep their meaning),
but must never be reordered or shortened.

>>> from policies.catalog import load_catalog
>>> codec = RecordCodec(load_catalog().datasets["trips"])
>>> row = {"mode": "tram", "district": "Harbour", "month": "2025-03", "duration_min": 12.5}
>>> codec.to_dicts(codec.decode(codec.encode([row]))) == [row]
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from policies.catalog import DatasetSpec, FieldSpec, month_index, month_label

LAYOUT_CHARS = 16
EPOCH = date(1970, 1, 1)
_INT32 = (-(2**31), 2**31 - 1)

Rows = Sequence[Mapping[str, Any]] | np.ndarray


class CodecError(ValueError):
    """Records do not fit the dataset's storage layout."""


class LayoutMismatchError(CodecError):
    """A block was written under another field layout than the catalog's current one."""


def storage_format(field: FieldSpec) -> str:
    """The numpy format of one field's column (little-endian, fixed width)."""
    if field.type == "category":
        if len(field.domain) > 2**16:
            raise CodecError(f"{field.name}: a category domain holds at most 65536 values")
        return "<u2"
    if field.type == "integer":
        low, high = field.low, field.high
        fits = low is not None and high is not None and low >= _INT32[0] and high <= _INT32[1]
        return "<i4" if fits else "<i8"
    if field.type == "number":
        return "<f8"
    if field.type == "time":
        return "<i4"
    raise CodecError(f"{field.name}: no storage format for type {field.type!r}")


def layout_of(spec: DatasetSpec) -> str:
    """Short hash of the field layout: names, types, granularities and formats."""
    described = [
        [f.name, f.type, f.granularity or "", storage_format(f)] for f in spec.fields.values()
    ]
    digest = hashlib.sha256(json.dumps(described).encode("utf-8")).hexdigest()
    return digest[:LAYOUT_CHARS]


def _month(value: Any) -> int:
    if isinstance(value, str) and len(value) == 7 and value[4] == "-":
        year, month = value[:4], value[5:]
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            return month_index(value)
    raise ValueError(f"{value!r} is not a month (YYYY-MM)")


def _day(value: Any) -> int:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{value!r} is not a day (YYYY-MM-DD)")
    return (value - EPOCH).days


def _day_label(days: int) -> str:
    return (EPOCH + timedelta(days=days)).isoformat()


class RecordCodec:
    """Packs and unpacks one dataset's records; built from its catalog entry."""

    def __init__(self, spec: DatasetSpec) -> None:
        self.dataset = spec.id
        self.fields: tuple[FieldSpec, ...] = tuple(spec.fields.values())
        self.dtype = np.dtype([(f.name, storage_format(f)) for f in self.fields])
        self.layout = layout_of(spec)
        self.tag = self.layout.encode("ascii")
        self._codes = {
            f.name: {label: i for i, label in enumerate(f.domain)}
            for f in self.fields
            if f.type == "category"
        }

    # --- packing -----------------------------------------------------------
    def pack(self, rows: Rows) -> np.ndarray:
        """Records -> structured array of :attr:`dtype`.

        ``rows`` is either a sequence of dicts as validated against the catalog
        (labels, ``"YYYY-MM"`` months, ISO days) or a structured array already
        in storage representation (category indexes, month/day numbers).
        """
        if isinstance(rows, np.ndarray):
            return self._pack_array(rows)
        out = np.empty(len(rows), dtype=self.dtype)
        for field in self.fields:
            out[field.name] = self._column(field, rows)
        return out

    def encode(self, rows: Rows) -> bytes:
        """Records -> block plaintext (layout tag + packed rows)."""
        return self.tag + self.pack(rows).tobytes()

    def _pack_array(self, rows: np.ndarray) -> np.ndarray:
        if rows.dtype.names != self.dtype.names:
            raise CodecError(
                f"{self.dataset}: array fields {rows.dtype.names} are not {self.dtype.names}"
            )
        out = np.empty(len(rows), dtype=self.dtype)
        for field in self.fields:
            column = rows[field.name]
            if field.type == "category" and len(column) and int(column.max()) >= len(field.domain):
                raise CodecError(f"{self.dataset}.{field.name}: category index out of the domain")
            out[field.name] = column
        return out

    def _column(
        self, field: FieldSpec, rows: Sequence[Mapping[str, Any]]
    ) -> np.ndarray | list[int]:
        name = field.name
        values = []
        for i, row in enumerate(rows):
            if name not in row:
                raise CodecError(f"{self.dataset}: record {i} lacks field {name!r}")
            values.append(row[name])
        where = f"{self.dataset}.{name}"
        if field.type == "category":
            codes = self._codes[name]
            for i, value in enumerate(values):
                if value not in codes:
                    raise CodecError(f"{where}: {value!r} (record {i}) is not in the domain")
            return [codes[value] for value in values]
        if field.type == "time":
            parse = _month if field.granularity == "month" else _day
            try:
                return [parse(value) for value in values]
            except ValueError as exc:
                raise CodecError(f"{where}: {exc}") from None
        array = np.asarray(values)
        if field.type == "integer":
            if len(values) and array.dtype.kind not in "iu":
                raise CodecError(f"{where}: values must be integers")
            info = np.iinfo(self.dtype[name])
            if len(values) and (array.min() < info.min or array.max() > info.max):
                raise CodecError(f"{where}: value out of the storable range")
            return array
        if len(values) and (array.dtype.kind not in "iuf" or not np.isfinite(array).all()):
            raise CodecError(f"{where}: values must be finite numbers")
        return array

    # --- unpacking ---------------------------------------------------------
    def check_layout(self, block_id: str, layout: str) -> None:
        """Raise :class:`LayoutMismatchError` unless ``layout`` is the current one."""
        if layout != self.layout:
            raise LayoutMismatchError(
                f"block {block_id} of dataset {self.dataset!r} has layout {layout!r} but the "
                f"catalog now gives layout {self.layout!r}: its fields changed, so stored "
                "blocks must be re-encoded before they can be read"
            )

    def body(self, block_id: str, plaintext: bytes) -> memoryview:
        """The packed rows of a block's plaintext, after checking its layout tag."""
        tag = plaintext[:LAYOUT_CHARS]
        if tag != self.tag:
            self.check_layout(block_id, tag.decode("ascii", "replace"))
        body = memoryview(plaintext)[LAYOUT_CHARS:]
        if len(body) % self.dtype.itemsize:
            raise CodecError(
                f"block {block_id}: {len(body)} bytes is not a whole number of records"
            )
        return body

    def decode(self, plaintext: bytes, block_id: str = "?") -> np.ndarray:
        """Block plaintext -> structured array (read-only, no copy)."""
        return np.frombuffer(self.body(block_id, plaintext), dtype=self.dtype)

    def from_bodies(self, bodies: Sequence[bytes | memoryview]) -> np.ndarray:
        """Many blocks' packed rows -> one structured array (one copy)."""
        return np.frombuffer(b"".join(bodies), dtype=self.dtype)

    def columns(self, array: np.ndarray) -> list[pl.Series]:
        """Polars columns with labels: categories and times as the catalog's public keys.

        Categories and times are strings (the values of
        :meth:`FieldSpec.public_keys`), integers and numbers stay numeric.
        """
        return [self._series(field, array[field.name]) for field in self.fields]

    def _series(self, field: FieldSpec, column: np.ndarray) -> pl.Series:
        name = field.name
        if field.type == "category":
            if len(column) and int(column.max()) >= len(field.domain):
                raise CodecError(f"{self.dataset}.{name}: stored index beyond the domain")
            return pl.Series(name, field.domain, dtype=pl.String).gather(column)
        if field.type == "time":
            if not len(column):
                return pl.Series(name, [], dtype=pl.String)
            low, high = int(column.min()), int(column.max())
            label = month_label if field.granularity == "month" else _day_label
            labels = pl.Series(name, [label(i) for i in range(low, high + 1)], dtype=pl.String)
            return labels.gather(column - low)
        return pl.Series(name, column)

    def to_dicts(self, array: np.ndarray) -> list[dict[str, Any]]:
        """Structured array -> human-readable dicts (the citizen's own export)."""
        columns = {series.name: series.to_list() for series in self.columns(array)}
        names = list(columns)
        return [
            dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
