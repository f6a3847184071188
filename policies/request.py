"""What a department asks for, as the evaluator sees it.

A request names the department and OAuth client asking, the purpose, the
dataset, the measures (kind and field), the group-by fields, the filters
(field, operator, value) and the privacy loss it is prepared to spend. The
client id is recorded in the decision, not matched against policies. Filter
values are checked against the catalog by the release's query model; the
policy decides only which fields and operators may be used.

>>> request = parse_request({
...     "department": "transport", "purpose": "transport-planning", "dataset": "trips",
...     "measures": [{"kind": "mean", "field": "duration_min"}], "epsilon": 0.5})
>>> request.measures[0].label
'mean of duration_min'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from policies.budget import DELTA_UNIT, ZERO, Cost, text
from policies.measures import FIELDLESS_MEASURES, MEASURE_KINDS
from policies.model import FILTER_OPERATORS, MECHANISMS
from policies.schema import IDENTIFIER, Amount


@dataclass(frozen=True, slots=True)
class MeasureRequest:
    """One requested measure; ``field`` is ``None`` for the fieldless kinds."""

    kind: str
    field: str | None = None

    @property
    def label(self) -> str:
        return self.kind if self.field is None else f"{self.kind} of {self.field}"


@dataclass(frozen=True, slots=True)
class FilterRequest:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class Request:
    """A request for DP aggregates; ``delta`` is 0 unless the mechanism is gaussian."""

    department: str
    client_id: str
    purpose: str
    dataset: str
    measures: tuple[MeasureRequest, ...]
    epsilon: Decimal
    group_by: tuple[str, ...] = ()
    filters: tuple[FilterRequest, ...] = ()
    delta: Decimal = ZERO
    mechanism: str = "laplace"

    @property
    def cost(self) -> Cost:
        return Cost(self.epsilon, self.delta)

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "client": self.client_id,
            "purpose": self.purpose,
            "dataset": self.dataset,
            "measures": [{"kind": m.kind, "field": m.field} for m in self.measures],
            "group_by": list(self.group_by),
            "filters": [{"field": f.field, "op": f.op, "value": f.value} for f in self.filters],
            "epsilon": text(self.epsilon),
            "delta": text(self.delta),
            "mechanism": self.mechanism,
        }


class _MeasureSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(list(MEASURE_KINDS)))
    field = fields.String(load_default=None, validate=validate.Regexp(IDENTIFIER))

    @validates_schema
    def _field_matches_kind(self, data: dict[str, Any], **_: Any) -> None:
        if data["kind"] in FIELDLESS_MEASURES and data["field"] is not None:
            raise ValidationError(f"{data['kind']} takes no field", "field")
        if data["kind"] not in FIELDLESS_MEASURES and data["field"] is None:
            raise ValidationError(f"{data['kind']} needs a field", "field")


class _FilterSchema(Schema):
    class Meta:
        unknown = RAISE

    field = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    op = fields.String(required=True, validate=validate.OneOf(FILTER_OPERATORS))
    value = fields.Raw(required=True, allow_none=False)


class RequestSchema(Schema):
    """The request as plain data (test cases, the CLI, the API's query model)."""

    class Meta:
        unknown = RAISE

    department = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    client = fields.String(load_default="", validate=validate.Length(max=200))
    purpose = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    dataset = fields.String(required=True, validate=validate.Regexp(IDENTIFIER))
    measures = fields.List(
        fields.Nested(_MeasureSchema), required=True, validate=validate.Length(min=1)
    )
    group_by = fields.List(fields.String(validate=validate.Regexp(IDENTIFIER)), load_default=list)
    filters = fields.List(fields.Nested(_FilterSchema), load_default=list)
    epsilon = Amount(required=True)
    delta = Amount(unit=DELTA_UNIT, positive=False, load_default=ZERO)
    mechanism = fields.String(load_default="laplace", validate=validate.OneOf(MECHANISMS))

    @validates_schema
    def _delta_matches_mechanism(self, data: dict[str, Any], **_: Any) -> None:
        if data["mechanism"] == "gaussian" and data["delta"] == 0:
            raise ValidationError("the gaussian mechanism needs a delta > 0", "delta")
        if data["mechanism"] == "laplace" and data["delta"] != 0:
            raise ValidationError("the laplace mechanism is pure DP: delta must be 0", "delta")


def parse_request(data: dict[str, Any]) -> Request:
    """Validate plain data into a :class:`Request`; raises marshmallow's ``ValidationError``."""
    loaded = RequestSchema().load(data)
    return Request(
        department=loaded["department"],
        client_id=loaded["client"],
        purpose=loaded["purpose"],
        dataset=loaded["dataset"],
        measures=tuple(MeasureRequest(m["kind"], m["field"]) for m in loaded["measures"]),
        epsilon=loaded["epsilon"],
        group_by=tuple(loaded["group_by"]),
        filters=tuple(FilterRequest(f["field"], f["op"], f["value"]) for f in loaded["filters"]),
        delta=loaded["delta"],
        mechanism=loaded["mechanism"],
    )
