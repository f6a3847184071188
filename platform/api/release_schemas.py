"""OpenAPI descriptions of the release, plan and budget documents.

Requests are validated by :class:`anonymise.query.QuerySchema` against the
catalog inside the release service; these schemas describe the documents for
the OpenAPI document (responses are returned verbatim, as they were signed).
"""

from __future__ import annotations

from marshmallow import Schema, fields

from anonymise.query import QuerySchema


class ReleaseRequestSchema(QuerySchema):
    """A DP query; ``fresh`` asks for a new release even if an identical one is stored."""

    fresh = fields.Boolean(
        load_default=False,
        metadata={"description": "spend again instead of re-serving the stored release"},
    )


class CellOut(Schema):
    measure = fields.String()
    kind = fields.String()
    group = fields.Dict(keys=fields.String(), values=fields.Raw())
    value = fields.Float()
    half_width = fields.Float(allow_none=True, metadata={"description": "95 % half-width"})
    lower = fields.Float(allow_none=True)
    upper = fields.Float(allow_none=True)
    bin = fields.String(allow_none=True)
    quantile = fields.Float(allow_none=True)
    rank_error = fields.Float(allow_none=True)


class NoiseOut(Schema):
    measure = fields.String()
    role = fields.String()
    level = fields.Float(allow_none=True)
    distribution = fields.String()
    scale = fields.Float()
    budget = fields.Float()


class ReleaseDocumentOut(Schema):
    """The signed document: every number is a DP aggregate or public information."""

    id = fields.String()
    created_at = fields.String()
    consent_checked_at = fields.String()
    department = fields.String()
    requested_by = fields.String()
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


class SignatureOut(Schema):
    algorithm = fields.String(metadata={"example": "Ed25519"})
    key_id = fields.String(metadata={"description": "SHA-256 of the raw public key"})
    value = fields.String(metadata={"description": "base64 signature"})
    covers = fields.String()


class CostOut(Schema):
    epsilon = fields.String()
    delta = fields.String()


class ReleaseOut(Schema):
    release = fields.Nested(ReleaseDocumentOut)
    signature = fields.Nested(SignatureOut)
    served_from_store = fields.Boolean()
    charged = fields.Nested(CostOut)
    explanation = fields.String()


class JobProgressOut(Schema):
    done = fields.Integer(metadata={"description": "units of work finished"})
    total = fields.Integer(metadata={"description": "units of work in all"})


class JobErrorOut(Schema):
    status = fields.Integer(
        metadata={"description": "the status a synchronous answer would have had"}
    )
    title = fields.String()
    detail = fields.String()
    charged = fields.Boolean(metadata={"description": "whether the reserved budget was spent"})


class ReleaseJobOut(Schema):
    """A release computed as a job. When ``state`` is ``done`` it also carries the
    release exactly as a 201 answer would (``release``, ``signature``, ``charged``,
    ``explanation``, ``served_from_store``); when ``failed``, the ``error``."""

    id = fields.String(metadata={"example": "job-5f0c…"})
    state = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    progress = fields.Nested(
        JobProgressOut,
        allow_none=True,
        metadata={"description": "as the engine reports it; null while unknown"},
    )
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    dataset = fields.String()
    purpose = fields.String()
    query_hash = fields.String()
    epsilon = fields.String(metadata={"description": "the epsilon reserved for this release"})
    release_id = fields.String(allow_none=True)
    error = fields.Nested(JobErrorOut, allow_none=True)
    release = fields.Nested(ReleaseDocumentOut)
    signature = fields.Nested(SignatureOut)
    served_from_store = fields.Boolean()
    charged = fields.Nested(CostOut)
    explanation = fields.String()


class ReleaseSummaryOut(Schema):
    id = fields.String()
    created_at = fields.String()
    dataset = fields.String()
    purpose = fields.String()
    policy_id = fields.String()
    mechanism = fields.String()
    epsilon = fields.String()
    query_hash = fields.String()
    requested_by = fields.String()


class PlanOut(Schema):
    epsilon = fields.String()
    epsilon_from_target = fields.Boolean()
    query_hash = fields.String()
    plan = fields.Dict(metadata={"description": "scales and expected 95 % half-widths"})
    allowed = fields.Boolean()
    explanation = fields.String()
    decision = fields.Dict()


class GrantBudgetOut(Schema):
    policy_id = fields.String()
    department = fields.String()
    dataset = fields.String()
    purpose = fields.String()
    period = fields.String()
    budget = fields.Nested(CostOut)
    spent = fields.Nested(CostOut)
    remaining = fields.Nested(CostOut)
    max_epsilon_per_query = fields.String()
    renews_at = fields.String(allow_none=True)


class CityBudgetOut(Schema):
    """A city-wide cap: auditors get spent, remaining and renews_at; a department only
    remaining_for_you (what is left for it under the cap)."""

    dataset = fields.String()
    period = fields.String()
    cap = fields.String()
    spent = fields.String()
    remaining = fields.String()
    renews_at = fields.String(allow_none=True)
    remaining_for_you = fields.String()


class BudgetsOut(Schema):
    at = fields.String()
    grants = fields.List(fields.Nested(GrantBudgetOut))
    city_caps = fields.List(fields.Nested(CityBudgetOut))
