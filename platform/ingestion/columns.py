"""Columnar validation of a batch of records, straight into the storage layout.

Validating a million records one marshmallow ``load`` at a time costs more
than encrypting and storing them, so the bulk path checks a batch column by
column against tables derived from the catalog (category and time labels ->
storage codes, numeric bounds) and fills a structured array of the dataset's
:class:`~civicdata.records.codec.RecordCodec` dtype directly.

These checks are deliberately narrower than the schema: a row they accept is
one the schema accepts with the same values (tests hold them to it), and every
row they doubt is loaded by the schema (:func:`~.schema.record_schema`), which
decides and words the errors. So the schema stays the single authority and the
fast path only ever saves time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from marshmallow import ValidationError

from civicdata.ingestion.schema import MAX_TEXT, SOURCE_ID, field_errors, record_schema
from civicdata.records.codec import EPOCH, RecordCodec
from policies.catalog import DatasetSpec, FieldSpec, month_index

FieldError = tuple[str | None, str]


@dataclass
class CheckedBatch:
    """A validated batch: storage rows, references and source ids, errors by position."""

    rows: np.ndarray
    references: list[Any]
    source_ids: list[Any]
    errors: dict[int, list[FieldError]] = field(default_factory=dict)

    def valid_positions(self) -> np.ndarray:
        """Positions of the rows without errors, in order."""
        valid = np.ones(len(self.rows), dtype=bool)
        valid[list(self.errors)] = False
        return np.flatnonzero(valid)


def _labels(spec: FieldSpec) -> dict[str, int]:
    """Label -> storage code of a category (domain index) or time (month/day number)."""
    if spec.type == "category":
        return {label: i for i, label in enumerate(spec.domain)}
    if spec.granularity == "month":
        return {label: month_index(label) for label in spec.time_keys()}
    return {label: (date.fromisoformat(label) - EPOCH).days for label in spec.time_keys()}


def _json_integer(value: Any) -> int | None:
    return value if type(value) is int else None


def _text_integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _json_number(value: Any) -> float:
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return math.nan
    return math.nan


def _text_number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _good_text(value: Any) -> bool:
    return type(value) is str and 0 < len(value) <= MAX_TEXT and not value.isspace()


class BatchValidator:
    """Validates batches of one dataset's records (JSON values, or CSV text cells)."""

    def __init__(self, spec: DatasetSpec, *, textual: bool = False) -> None:
        self.spec = spec
        self.schema = record_schema(spec, textual)
        self.codec = RecordCodec(spec)
        self.reference = spec.subject_reference
        self.width = len(spec.fields) + 2
        self._labels = {
            name: _labels(f) for name, f in spec.fields.items() if f.type in ("category", "time")
        }
        self._integer: Callable[[Any], int | None] = _text_integer if textual else _json_integer
        self._number: Callable[[Any], float] = _text_number if textual else _json_number

    def check(self, records: Sequence[Mapping[str, Any]]) -> CheckedBatch:
        """Validate ``records``; rows the columns doubt are decided by the schema."""
        size = len(records)
        rows = np.zeros(size, dtype=self.codec.dtype)
        width = self.width
        doubt = np.fromiter((len(r) != width for r in records), dtype=bool, count=size)
        for name, spec in self.spec.fields.items():
            values = [r.get(name) for r in records]
            ok, column = self._column(spec, values)
            doubt |= ~ok
            rows[name] = np.where(ok, column, 0)
        references = [r.get(self.reference) for r in records]
        source_ids = [r.get(SOURCE_ID) for r in records]
        for texts in (references, source_ids):
            doubt |= ~np.fromiter(map(_good_text, texts), dtype=bool, count=size)
        batch = CheckedBatch(rows, references, source_ids)
        for position in np.flatnonzero(doubt).tolist():
            self._decide(batch, position, records[position])
        return batch

    def _column(self, spec: FieldSpec, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(accepted?, storage value) for one column of the batch."""
        if spec.type in ("category", "time"):
            table = self._labels[spec.name]
            codes = np.fromiter(
                (table.get(v, -1) if type(v) is str else -1 for v in values),
                dtype=np.int64,
                count=len(values),
            )
            return codes >= 0, codes
        low, high = spec.low, spec.high
        if low is None or high is None:  # the catalog gives every numeric field its bounds
            raise ValueError(f"{spec.name}: a numeric field needs bounds in the catalog")
        if spec.type == "integer":
            convert = self._integer
            parsed = [convert(v) for v in values]
            ok = np.fromiter(
                (v is not None and low <= v <= high for v in parsed),
                dtype=np.bool_,
                count=len(parsed),
            )
            return ok, np.array([v if good else 0 for v, good in zip(parsed, ok, strict=True)])
        numbers = np.fromiter(map(self._number, values), dtype=np.float64, count=len(values))
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(numbers) & (numbers >= low) & (numbers <= high)
        return ok, numbers

    def _decide(self, batch: CheckedBatch, position: int, record: Any) -> None:
        """Let the schema judge one doubted row: its errors, or its values."""
        try:
            data = self.schema.load(record)
        except ValidationError as exc:
            batch.errors[position] = field_errors(exc.messages)
            return
        self.store_row(batch.rows, position, data)
        batch.references[position] = data[self.reference]
        batch.source_ids[position] = data[SOURCE_ID]

    def store_row(self, rows: np.ndarray, position: int, data: Mapping[str, Any]) -> None:
        """Write one schema-validated record into ``rows[position]`` (storage codes)."""
        for name in self.spec.fields:
            value = data[name]
            table = self._labels.get(name)
            rows[name][position] = value if table is None else table[value]
