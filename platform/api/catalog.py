"""``GET /api/v1/datasets``: the public dataset catalog."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from civicdata.request_scope import current_platform

blp = Blueprint("catalog", __name__, url_prefix="/datasets", description="The dataset catalog")


class FieldOut(Schema):
    name = fields.String()
    type = fields.String()
    groupable = fields.Boolean()
    description = fields.String()
    domain = fields.List(fields.String())
    min = fields.Raw(attribute="low")
    max = fields.Raw(attribute="high")
    granularity = fields.String(allow_none=True)
    time_min = fields.String(allow_none=True)
    time_max = fields.String(allow_none=True)


class DatasetOut(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    special_category = fields.Boolean()
    subject_reference = fields.String()
    max_records_per_citizen = fields.Integer()
    city_cap_epsilon = fields.Float(attribute="city_cap.epsilon")
    city_cap_period = fields.String(attribute="city_cap.period")
    fields_ = fields.Method("_fields", data_key="fields")

    def _fields(self, obj: Any) -> list[dict[str, Any]]:
        return FieldOut(many=True).dump(obj.fields.values())


@blp.route("")
@blp.response(200, DatasetOut(many=True))
def list_datasets() -> Any:
    """The catalog: datasets, fields, public domains and bounds (public information)."""
    return list(current_platform().catalog.datasets.values())
