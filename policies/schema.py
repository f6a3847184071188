"""The policy language's grammar: marshmallow schemas for one policy.

A policy file holds ``policies:``, a list of entries like this one (unknown keys
are rejected everywhere)::

    - id: transport-trips
      department: transport
      dataset: trips
      purpose: transport-planning
      description: Service planning from travel-card trips.
      measures:
        count: true
        mean: [duration_min]
      group_by: [district, mode, month]
      filters: {month: [eq, between]}
      mechanism: laplace            # or gaussian (zCDP; needs budget.delta)
      max_epsilon_per_query: 0.5
      budget: {epsilon: 4.0, period: P30D}   # or calendar-month
      valid_from: 2025-01-01
      valid_until: 2027-01-01       # exclusive; omit for open-ended
      approvers: [Data Protection Officer, Head of Transport]
      max_records_per_citizen: 20   # optional, at most the catalog's
      public: true                  # optional (default false): publish its releases

``public: true`` puts every release the policy grants, from the moment a
policy set with the flag is in force, on the public transparency page
(``/transparency``, its Atom feed and ``/api/v1/transparency``), signed and
without who asked beyond the department. Releases made while the policy was
not public are never published later; a release once published stays so.

This module checks each field on its own; consistency between fields,
references to the catalog and purposes, and rules across policies are in
:mod:`policies.checks`, which runs on every well-formed policy.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from policies.budget import DELTA_UNIT, EPSILON_UNIT, exact, text
from policies.measures import MEASURE_KINDS
from policies.model import FILTER_OPERATORS, MECHANISMS
from policies.periods import PERIOD_PATTERN

IDENTIFIER = r"^[a-z][a-z0-9_\-]{0,62}$"


class Amount(fields.Field[Decimal]):
    """An exact, non-negative privacy amount on a unit grid (see :func:`budget.exact`)."""

    def __init__(self, unit: Decimal = EPSILON_UNIT, positive: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit = unit
        self.positive = positive

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            amount = exact(value, self.unit)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if self.positive and amount == 0:
            raise ValidationError("must be greater than 0")
        return amount

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else text(value)


class UtcTime(fields.Field[datetime]):
    """A date (midnight UTC) or a timezone-aware date-time, normalised to UTC."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"{value!r} is not an ISO 8601 date or date-time") from None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValidationError("a date-time needs a timezone (e.g. Z)")
            return value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        raise ValidationError("must be a date or a date-time")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()


def _unique(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("lists an entry twice")


def _names(**kwargs: Any) -> fields.List[str]:
    return fields.List(
        fields.String(validate=validate.Regexp(IDENTIFIER)), validate=_unique, **kwargs
    )


# Which measures are allowed: fieldless kinds by ``true``, others by a list of fields.
MeasuresSchema = Schema.from_dict(
    {kind: _names() if field else fields.Boolean() for kind, field in MEASURE_KINDS.items()},
    name="MeasuresSchema",
)


class BudgetSchema(Schema):
    class Meta:
        unknown = RAISE

    epsilon = Amount(required=True)
    delta = Amount(unit=DELTA_UNIT, positive=False, load_default=Decimal(0))
    period = fields.String(
        required=True,
        validate=validate.Regexp(PERIOD_PATTERN, error="must be PnD (e.g. P30D) or calendar-month"),
    )


class PolicySchema(Schema):
    """One policy entry, field by field (consistency between fields: :mod:`policies.checks`)."""

    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    department = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    dataset = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    purpose = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    description = fields.String(load_default="")
    measures = fields.Nested(MeasuresSchema, required=True)
    group_by = _names(load_default=list)
    filters = fields.Dict(
        keys=fields.String(validate=validate.Regexp(IDENTIFIER)),
        values=fields.List(
            fields.String(validate=validate.OneOf(FILTER_OPERATORS)),
            validate=[validate.Length(min=1), _unique],
        ),
        load_default=dict,
    )
    mechanism = fields.String(required=True, validate=validate.OneOf(MECHANISMS))
    max_epsilon_per_query = Amount(required=True)
    budget = fields.Nested(BudgetSchema, required=True)
    valid_from = UtcTime(required=True)
    valid_until = UtcTime(load_default=None)
    approvers = fields.List(
        fields.String(validate=validate.Length(min=1)),
        required=True,
        validate=[validate.Length(min=1, error="needs at least one approver"), _unique],
    )
    max_records_per_citizen = fields.Integer(
        load_default=None, validate=validate.Range(min=1), strict=True
    )
    public = fields.Boolean(load_default=False, truthy={True}, falsy={False})
