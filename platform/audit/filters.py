"""What an auditor may ask of the log, parsed one way for the API and the portal.

Query strings are strict: an unknown parameter, a malformed time or an empty
range is a :class:`marshmallow.ValidationError` naming the parameter, which the
API answers as a problem+json 400 and the portal as its form shown again with
the field marked, never as an unfiltered answer. The schemas live here, below
both layers, so that the portal parses exactly as the API does without
importing it.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from civicdata.audit.queries import TEXT_FILTERS, EventFilter

MAX_PAGE = 500
DEFAULT_PAGE = 50
FILTER_VALUE = validate.Length(min=1, max=200)


class EventFilterQuery(Schema):
    """Filters of the event list and export; times without an offset are UTC."""

    from_ = fields.AwareDateTime(
        data_key="from",
        default_timezone=UTC,
        metadata={"description": "Entries at or after this time (ISO 8601)."},
    )
    to = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Entries before this time (ISO 8601)."}
    )
    actor = fields.String(
        validate=FILTER_VALUE,
        metadata={
            "description": "an actor id (client:<id>, a pseudonym), a client's or staff"
            " member's name (case-insensitive, any part) or a staff member's email"
        },
    )
    action = fields.String(validate=FILTER_VALUE, metadata={"description": "e.g. api.access"})
    decision = fields.String(validate=FILTER_VALUE, metadata={"description": "e.g. denied"})
    department = fields.String(validate=FILTER_VALUE)
    dataset = fields.String(validate=FILTER_VALUE)
    purpose = fields.String(validate=FILTER_VALUE)

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        since, until = data.get("from_"), data.get("to")
        if since is not None and until is not None and until <= since:
            raise ValidationError("must be later than 'from'", "to")


class EventListQuery(EventFilterQuery):
    before = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "Cursor: only entries with a smaller index (from `next`)."},
    )
    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))


class ExportQuery(EventFilterQuery):
    format = fields.String(
        load_default="csv", validate=validate.OneOf(["csv", "json"]), metadata={"example": "csv"}
    )


class LookupQuery(Schema):
    q = fields.String(
        required=True,
        validate=FILTER_VALUE,
        metadata={"description": "a leaf hash (hex), a release or reservation id, a query hash"},
    )


def event_filter(args: dict[str, Any]) -> EventFilter:
    """The loaded query as the filter of :mod:`civicdata.audit.queries`."""
    texts: dict[str, Any] = {name: args.get(name) for name in TEXT_FILTERS}
    return EventFilter(since=args.get("from_"), until=args.get("to"), **texts)


# Days are calendar days in UTC; a period is at most this long (about 30 years),
# which bounds the chart's axis, never the data.
MAX_PERIOD_DAYS = 11_000


class PeriodQuery(Schema):
    """A period of whole UTC days, both ends included (``YYYY-MM-DD``)."""

    from_ = fields.Date(
        data_key="from",
        metadata={"description": "First day (UTC), e.g. 2026-03-01; default 29 days before `to`"},
    )
    to = fields.Date(metadata={"description": "Last day (UTC), included; default today"})

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first is not None and last is not None:
            if last < first:
                raise ValidationError("must not be before 'from'", "to")
            if (last - first).days >= MAX_PERIOD_DAYS:
                raise ValidationError(f"the period may span at most {MAX_PERIOD_DAYS} days", "to")


DEFAULT_PERIOD_DAYS = 30


def period_of(args: dict[str, Any], today: date) -> tuple[date, date]:
    """The loaded period with its defaults: the 30 days up to ``to`` (or up to today)."""
    last: date = args.get("to") or today
    first: date = args.get("from_") or last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    field = (
        "to" if "to" in args else "from"
    )  # the end the caller chose, or the one defaulted against
    if last < first:
        raise ValidationError({field: [f"the period ends ({last}) before it starts ({first})"]})
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError({field: [f"the period may span at most {MAX_PERIOD_DAYS} days"]})
    return first, last


class ComparisonQuery(Schema):
    """Two moments whose policy sets are compared (ISO 8601; a date alone is its midnight,
    a time without an offset is UTC)."""

    first = fields.AwareDateTime(
        required=True,
        default_timezone=UTC,
        metadata={"description": "The earlier moment, e.g. 2025-06-01 or 2025-06-01T09:30"},
    )
    second = fields.AwareDateTime(
        required=True,
        default_timezone=UTC,
        metadata={"description": "The later moment (any order is accepted)"},
    )
