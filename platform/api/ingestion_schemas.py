"""OpenAPI schemas of the ingestion API: upload reports and the ingestion resource."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from civicdata.ingestion import MODES

MAX_LISTED = 500


class RecordErrorOut(Schema):
    line = fields.Integer(metadata={"description": "Line of the body (absent for one record)"})
    field = fields.String(metadata={"description": "The field in error, if one"})
    message = fields.String(required=True)


class UploadReportOut(Schema):
    """What an upload answers (201), and, for a rejected one, the problem+json body."""

    id = fields.String(required=True)
    dataset = fields.String(required=True)
    format = fields.String(required=True)
    mode = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["completed", "partial", "rejected"]})
    received = fields.Integer(required=True)
    stored = fields.Integer(required=True)
    duplicates = fields.Integer(
        required=True, metadata={"description": "Records whose source_id was already stored"}
    )
    rejected = fields.Integer(required=True)
    created_at = fields.String(required=True)
    errors = fields.List(fields.Nested(RecordErrorOut), required=True)
    errors_truncated = fields.Boolean(required=True)


class IngestionOut(Schema):
    """An upload as its source sees it later: status and counts."""

    id = fields.String()
    dataset = fields.String()
    format = fields.String()
    mode = fields.String()
    status = fields.String()
    received = fields.Integer()
    stored = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.Integer()
    idempotency_key = fields.String(allow_none=True)
    response_status = fields.Integer()
    created_at = fields.DateTime()


class BulkArgs(Schema):
    mode = fields.String(
        load_default="strict",
        validate=validate.OneOf(MODES),
        metadata={"description": "strict: all or nothing; partial: store the valid records"},
    )


class ListArgs(Schema):
    dataset = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LISTED))
