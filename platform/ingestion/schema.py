"""The marshmallow schema of one incoming record, generated from the catalog.

A record carries the source's own record id (``source_id``), the citizen's
external reference under the dataset's ``subject_reference`` kind (e.g.
``travel_card``) and every catalog field. Unknown fields are refused. This
schema is the authority on what is valid: the bulk path's columnar checks
(:mod:`civicdata.ingestion.columns`) only ever accept what it accepts, and
ask it for the error messages of every row they doubt.

JSON records must use JSON types (a number, not a string holding one); CSV
cells are text, so the ``textual`` variant parses numbers from strings.

>>> from policies.catalog import load_catalog
>>> schema = record_schema(load_catalog().datasets["trips"])
>>> sorted(schema.load({"source_id": "t1", "travel_card": "TC-1", "mode": "bus",
...     "district": "Harbour", "month": "2025-03", "duration_min": 12}))[:3]
['district', 'duration_min', 'mode']
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from policies.catalog import DatasetSpec, FieldSpec, month_index

SOURCE_ID = "source_id"
MAX_TEXT = 200
MONTH_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])", re.ASCII)


class SchemaConflictError(ValueError):
    """A catalog field uses a name the ingestion format reserves."""


class JsonNumber(fields.Float):
    """A float given as a JSON number (an integer is fine; a string is not)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _non_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _text_field() -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=MAX_TEXT), _non_blank])


class _TimeRange(validate.Validator):
    """A month (``YYYY-MM``) or day (``YYYY-MM-DD``) within the field's bounds."""

    def __init__(self, field: FieldSpec) -> None:
        self.field = field

    def __call__(self, value: str) -> str:
        spec = self.field
        if spec.granularity == "month":
            if MONTH_PATTERN.fullmatch(value) is None:
                raise ValidationError("Not a month (YYYY-MM).")
            low, high = month_index(spec.time_min or value), month_index(spec.time_max or value)
            position = month_index(value)
        else:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                day = None
            if day is None or day.isoformat() != value:  # only the canonical form
                raise ValidationError("Not a day (YYYY-MM-DD).")
            low = date.fromisoformat(spec.time_min or value).toordinal()
            high = date.fromisoformat(spec.time_max or value).toordinal()
            position = day.toordinal()
        if not low <= position <= high:
            raise ValidationError(f"Must be between {spec.time_min} and {spec.time_max}.")
        return value


def _field(spec: FieldSpec, textual: bool) -> fields.Field:
    if spec.type == "category":
        return fields.String(required=True, validate=validate.OneOf(spec.domain))
    if spec.type == "time":
        return fields.String(required=True, validate=_TimeRange(spec))
    bounds = validate.Range(min=spec.low, max=spec.high)
    if spec.type == "integer":
        return fields.Integer(required=True, strict=not textual, validate=bounds)
    number = fields.Float if textual else JsonNumber
    return number(required=True, allow_nan=False, validate=bounds)


def reserved_names(spec: DatasetSpec) -> tuple[str, str]:
    """The two keys every record has besides the catalog fields."""
    return SOURCE_ID, spec.subject_reference


def record_schema(spec: DatasetSpec, textual: bool = False) -> Schema:
    """The schema of one record of ``spec``; JSON types, or text cells when ``textual``."""
    clash = set(reserved_names(spec)) & set(spec.fields)
    if clash or spec.subject_reference == SOURCE_ID:
        raise SchemaConflictError(
            f"dataset {spec.id!r}: field name(s) {sorted(clash) or [SOURCE_ID]} are reserved "
            "for the source record id and the subject reference"
        )
    declared: dict[str, fields.Field] = {
        SOURCE_ID: _text_field(),
        spec.subject_reference: _text_field(),
    }
    declared.update({name: _field(field, textual) for name, field in spec.fields.items()})
    schema_class = Schema.from_dict(declared, name=f"{spec.id.title()}Record")
    return schema_class(unknown=RAISE)


def field_errors(messages: Any) -> list[tuple[str | None, str]]:
    """marshmallow's error dict as ``(field, message)`` pairs, in field order."""
    if not isinstance(messages, dict):
        return [(None, str(message)) for message in _as_list(messages)]
    return [
        (None if name == "_schema" else str(name), str(message))
        for name, value in messages.items()
        for message in _as_list(value)
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
