"""Schemas of the auditor's API answers.

The query schemas (filters, lookups, periods) live in
:mod:`civicdata.audit.filters`, below the API, because the portal parses its
forms with them too; they are re-exported here for the API's routes.
"""

from __future__ import annotations

import base64
from typing import Any

from marshmallow import Schema, fields, validate

from civicdata.audit.filters import (
    EventFilterQuery,
    EventListQuery,
    ExportQuery,
    LookupQuery,
    event_filter,
)

__all__ = ["EventFilterQuery", "EventListQuery", "ExportQuery", "LookupQuery", "event_filter"]


class Hex(fields.Field):
    """Bytes as lowercase hex."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else bytes(value).hex()


class Base64(fields.Field):
    """Bytes as standard base64."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else base64.b64encode(value).decode()


class ActorOut(Schema):
    kind = fields.String(metadata={"description": "client, staff, citizen or unknown"})
    name = fields.String(
        allow_none=True,
        metadata={"description": "a client's name or a staff member's display name"},
    )
    role = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class EventOut(Schema):
    """An entry's fields as its signed text states them."""

    index = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.String()
    action = fields.String()
    resource = fields.String()
    decision = fields.String()
    subject = fields.String(allow_none=True, metadata={"description": "citizen pseudonym"})
    department = fields.String(allow_none=True)
    dataset = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    details = fields.Dict()
    leaf_hash = Hex(metadata={"type": "string", "format": "hex"})
    columns_verified = fields.Boolean(
        metadata={"description": "the stored filter columns agree with the signed text"}
    )
    actor_info = fields.Nested(
        ActorOut, metadata={"description": "who the actor id is, from the directory"}
    )


class LookupOut(Schema):
    events = fields.List(fields.Nested("EventOut"))


class EventPageOut(Schema):
    events = fields.List(fields.Nested(EventOut))
    next_before = fields.Integer(allow_none=True, metadata={"description": "cursor of `next`"})
    next = fields.String(allow_none=True, metadata={"description": "URL of the next page"})


class InclusionOut(Schema):
    checkpoint_size = fields.Integer()
    root_hash = Hex(metadata={"type": "string", "format": "hex"})
    checkpoint = fields.String(metadata={"description": "the signed note"})
    proof = fields.List(Hex(metadata={"type": "string", "format": "hex"}))
    verified = fields.Boolean(metadata={"description": "checked by the server; re-check it"})


class EventDetailOut(Schema):
    index = fields.Integer()
    entry = fields.String(metadata={"description": "canonical JSON: the leaf's content"})
    leaf_hash = Hex(metadata={"type": "string", "format": "hex", "description": "RFC 6962 leaf"})
    signature = Base64(
        metadata={"type": "string", "format": "base64", "description": "Ed25519 over index, leaf"}
    )
    event = fields.Nested(EventOut, metadata={"description": "the entry's fields, as signed"})
    inclusion = fields.Nested(InclusionOut)


class CosignatureOut(Schema):
    witness = fields.String(metadata={"description": "the witness's name"})
    line = fields.String(metadata={"description": "C2SP tlog-cosignature note line"})
    at = fields.AwareDateTime(metadata={"description": "when the platform received it"})
    verified = fields.Boolean(
        metadata={"description": "verifies with the key configured for that witness"}
    )


class CheckpointOut(Schema):
    origin = fields.String()
    size = fields.Integer()
    root_hash = fields.String(metadata={"format": "hex"})
    at = fields.AwareDateTime()
    note = fields.String(metadata={"description": "C2SP signed note"})
    public_key_pem = fields.String()
    witnessed = fields.Nested(
        "WitnessedOut",
        allow_none=True,
        metadata={"description": "the latest checkpoint cosigned by witnesses (null: none yet)"},
    )


class WitnessedOut(Schema):
    size = fields.Integer()
    root_hash = Hex(metadata={"type": "string", "format": "hex"})
    note = fields.String(
        metadata={"description": "the signed note with the witnesses' cosignature lines"}
    )
    cosignatures = fields.List(fields.Nested(CosignatureOut))


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=0))
    second = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "defaults to the latest checkpoint's size"},
    )


class ConsistencyOut(Schema):
    first = fields.Integer()
    second = fields.Integer()
    proof = fields.List(Hex(metadata={"type": "string", "format": "hex"}))
    first_checkpoint = fields.String(allow_none=True, metadata={"description": "if stored"})
    second_checkpoint = fields.String(allow_none=True, metadata={"description": "if stored"})


class VerificationOut(Schema):
    ok = fields.Boolean()
    size = fields.Integer(metadata={"description": "entries verified"})
    first_bad = fields.Integer(allow_none=True)
    problems = fields.List(fields.String())
    checkpoint = fields.String(allow_none=True)


class ProblemOut(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "per location and parameter"})
