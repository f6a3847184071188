"""OpenAPI descriptions of the public transparency report (``/api/v1/transparency``).

The report is returned verbatim (each release exactly as signed), so these
schemas describe it for the OpenAPI document rather than dump it.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from civicdata.api.release_schemas import CellOut, NoiseOut
from civicdata.releases.transparency import MAX_PAGE, PAGE

MAX_SEQ = 2**31 - 1  # public_releases.seq is a 32-bit integer


class TransparencyQuery(Schema):
    before = fields.Integer(
        validate=validate.Range(min=1, max=MAX_SEQ),
        metadata={
            "description": "Cursor: only releases published before this one (`next_before`)."
        },
    )
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(min=1, max=MAX_PAGE))


class PublicStatementOut(Schema):
    """A release's signed public statement: the release without who asked."""

    id = fields.String()
    created_at = fields.String()
    consent_checked_at = fields.String()
    department = fields.String()
    policy_id = fields.String()
    policy_set_hash = fields.String()
    query = fields.Dict()
    query_hash = fields.String()
    mechanism = fields.String()
    epsilon = fields.String()
    delta = fields.String(allow_none=True)
    rho = fields.String(allow_none=True)
    noise = fields.List(fields.Nested(NoiseOut))
    cells = fields.List(fields.Nested(CellOut))
    truncation = fields.Dict()


class PublicSignatureOut(Schema):
    algorithm = fields.String(metadata={"example": "Ed25519"})
    key_id = fields.String(
        metadata={"description": "the releases key in /.well-known/civic-keys that signed it"}
    )
    value = fields.String(metadata={"description": "base64 Ed25519 signature"})
    covers = fields.String(metadata={"description": "the exact bytes signed"})


class QueryWordsOut(Schema):
    months = fields.String()
    group_by = fields.String()
    filters = fields.List(fields.String())
    measures = fields.List(fields.String())


class PublicReleaseOut(Schema):
    id = fields.String()
    published_at = fields.String()
    dataset = fields.String()
    dataset_title = fields.String()
    purpose = fields.String()
    purpose_title = fields.String()
    department = fields.String()
    department_name = fields.String()
    policy_id = fields.String()
    query_in_words = fields.Nested(QueryWordsOut)
    mechanism = fields.String()
    epsilon = fields.String()
    delta = fields.String(allow_none=True)
    rho = fields.String(allow_none=True)
    cells = fields.List(fields.Nested(CellOut), metadata={"description": "values, 95 % intervals"})
    release = fields.Nested(PublicStatementOut, metadata={"description": "exactly as signed"})
    signature = fields.Nested(PublicSignatureOut)


class MonthSpendOut(Schema):
    month = fields.String()
    epsilon = fields.String()


class DatasetSpendingOut(Schema):
    dataset = fields.String()
    title = fields.String()
    period = fields.String()
    cap = fields.String(metadata={"description": "city-wide epsilon cap per period"})
    spent = fields.String(metadata={"description": "epsilon charged in the current period"})
    remaining = fields.String()
    by_month = fields.List(fields.Nested(MonthSpendOut))


class PolicySummaryOut(Schema):
    id = fields.String()
    department = fields.String()
    department_name = fields.String()
    dataset = fields.String()
    dataset_title = fields.String()
    purpose = fields.String()
    purpose_title = fields.String()
    description = fields.String()
    measures = fields.List(fields.String())
    group_by = fields.List(fields.String())
    filters = fields.List(fields.String())
    mechanism = fields.String()
    max_epsilon_per_query = fields.String()
    budget = fields.String()
    valid_from = fields.String()
    valid_until = fields.String(allow_none=True)
    approvers = fields.List(fields.String())
    public = fields.Boolean()


class PoliciesInForceOut(Schema):
    content_hash = fields.String()
    loaded_at = fields.String(allow_none=True)
    policies = fields.List(fields.Nested(PolicySummaryOut))


class PublicCosignatureOut(Schema):
    witness = fields.String()
    vkey = fields.String(allow_none=True, metadata={"description": "the witness's verifier key"})
    line = fields.String()
    at = fields.String()
    verified = fields.Boolean()


class WitnessedCheckpointOut(Schema):
    origin = fields.String()
    size = fields.Integer()
    root_hash = fields.String()
    at = fields.String()
    note = fields.String(metadata={"description": "signed note with the cosignature lines"})
    key_id = fields.String(allow_none=True)
    cosignatures = fields.List(fields.Nested(PublicCosignatureOut))


class TransparencyOut(Schema):
    city = fields.String()
    generated_at = fields.String()
    keys = fields.String(metadata={"description": "where the published signing keys are"})
    releases = fields.List(fields.Nested(PublicReleaseOut))
    next_before = fields.Integer(allow_none=True)
    budgets = fields.List(fields.Nested(DatasetSpendingOut))
    policies = fields.Nested(PoliciesInForceOut)
    checkpoint = fields.Nested(WitnessedCheckpointOut, allow_none=True)
