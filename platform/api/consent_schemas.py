"""Marshmallow schemas of the consent API (requests and responses, for OpenAPI too)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from consent.purposes import LANGUAGES
from consent.tables import METHODS

STATES = ("none", "given", "needs_review", "withdrawn", "expired")


class LanguageIn(Schema):
    """The notice language the citizen reads (and consents in)."""

    class Meta:
        unknown = RAISE

    language = fields.String(load_default=LANGUAGES[0], validate=validate.OneOf(LANGUAGES))


class NoticeTextOut(Schema):
    title = fields.String()
    text = fields.String()


class PurposeOut(Schema):
    id = fields.String()
    controller = fields.String(metadata={"description": "Department id using the data"})
    controller_name = fields.String()
    datasets = fields.List(fields.String())
    legal_basis = fields.String(metadata={"description": "DPV term; every purpose is opt-in"})
    retention = fields.String(metadata={"description": "ISO 8601 duration"})
    consent_validity = fields.String(metadata={"description": "ISO 8601 duration"})
    notice_version = fields.Integer(allow_none=True)
    notice = fields.Dict(keys=fields.String(), values=fields.Nested(NoticeTextOut))


class ConsentStateOut(Schema):
    purpose = fields.String(attribute="id")
    title = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))
    active = fields.Boolean(metadata={"description": "Whether the purpose may use your data now"})
    reconsent_required = fields.Boolean()
    given_version = fields.Integer(allow_none=True)
    current_version = fields.Integer(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)


class ReceiptDocumentOut(Schema):
    alg = fields.String(metadata={"description": "Ed25519"})
    receipt = fields.Dict(metadata={"description": "Kantara Consent Receipt v1.1 fields"})
    signature = fields.String(metadata={"description": "Base64 signature of the canonical JSON"})


class ConsentEventOut(Schema):
    record_id = fields.String()
    purpose = fields.String(attribute="purpose_id")
    state = fields.String(validate=validate.OneOf(("given", "withdrawn")))
    event_time = fields.DateTime()
    valid_until = fields.DateTime(allow_none=True)
    notice_version = fields.Integer()
    language = fields.String()
    collection_method = fields.String(validate=validate.OneOf(METHODS))
    client_id = fields.String(allow_none=True)
    receipt = fields.Function(
        lambda event: event.document(), metadata={"description": "The signed receipt document"}
    )


class ExportOut(Schema):
    format = fields.String()
    exported_at = fields.String()
    controller = fields.String()
    citizen = fields.Dict()
    records = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    consent_history = fields.List(fields.Dict())
    authorised_apps = fields.List(fields.Dict())
