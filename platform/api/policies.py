"""``GET /api/v1/policies?at=...``: the access policies in force at a moment, and
``GET /api/v1/policies/compare?first=...&second=...``: two moments side by side.

Auditors (``audit:read``) see the whole policy set in force at ``at`` (default:
now), as recorded in the policy-set history; department clients see the
policies of that set that concern their department. Each answer names the
set's content hash, which every decision and release carries. The comparison
lists the policies added, removed and changed between the two moments and,
per changed policy, each field that differs with both values in words.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields

from civicdata.api.audit_schemas import ProblemOut
from civicdata.audit.filters import ComparisonQuery
from civicdata.db import utcnow
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.request_scope import db_session
from policies.compare import compare_at
from policies.history import HistoryError, RecordedSet, policy_set_at
from policies.model import policies_for_department

blp = Blueprint(
    "policies", __name__, url_prefix="/policies", description="Access policies in force"
)


class PoliciesQuery(Schema):
    at = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "ISO 8601 time (UTC if no offset); default now"},
    )


class PoliciesOut(Schema):
    at = fields.String()
    policy_set_hash = fields.String()
    loaded_at = fields.String()
    city_caps = fields.Dict()
    policies = fields.List(fields.Dict(), metadata={"description": "canonical policy documents"})


@blp.route("", methods=["GET"])
@blp.arguments(PoliciesQuery, location="query", as_kwargs=True)
@blp.response(200, PoliciesOut)
@blp.alt_response(404, description="no policy set was in force at that time")
@require_oauth(roles=("department", "auditor"))
def policies(at: datetime | None) -> Any:
    """The policies in force at ``at``: all of them for auditors, a department's for it."""
    grant = current_grant()
    grant.require_scope("audit:read" if grant.role == "auditor" else "aggregates:request")
    at = at or utcnow()
    recorded = policy_set_at(db_session().connection(), at)
    if recorded is None:
        abort(404, description=f"at: no policy set was in force at {at.isoformat()}")
    policy_set = recorded.policy_set
    chosen = (
        policy_set.policies
        if grant.role == "auditor"
        else policies_for_department(policy_set, grant.department or "")
    )
    return {
        "at": at.astimezone(UTC).isoformat(),
        "policy_set_hash": recorded.content_hash,
        "loaded_at": recorded.loaded_at.isoformat(),
        "city_caps": {
            ds: {"epsilon": format(cap.epsilon.normalize(), "f"), "period": cap.period.label}
            for ds, cap in sorted(policy_set.city_caps.items())
        },
        "policies": [p.canonical() for p in chosen],
    }


class FieldChangeOut(Schema):
    field = fields.String(metadata={"description": "the canonical field, e.g. budget"})
    label = fields.String(metadata={"description": "its readable name, e.g. Budget"})
    before = fields.String(metadata={"description": "the value at `first`, in words"})
    after = fields.String(metadata={"description": "the value at `second`, in words"})
    added = fields.List(fields.String(), metadata={"description": "list items only at `second`"})
    removed = fields.List(fields.String(), metadata={"description": "list items only at `first`"})


class PolicyChangeOut(Schema):
    id = fields.String()
    fields_ = fields.List(fields.Nested(FieldChangeOut), data_key="fields")


class CapChangeOut(Schema):
    dataset = fields.String()
    before = fields.String(allow_none=True, metadata={"description": "null: no cap then"})
    after = fields.String(allow_none=True, metadata={"description": "null: no cap then"})


class SetAtOut(Schema):
    at = fields.String()
    policy_set_hash = fields.String(allow_none=True, metadata={"description": "null: none yet"})
    loaded_at = fields.String(allow_none=True)


class ComparisonOut(Schema):
    first = fields.Nested(SetAtOut)
    second = fields.Nested(SetAtOut)
    added = fields.List(fields.Dict(), metadata={"description": "canonical documents"})
    removed = fields.List(fields.Dict(), metadata={"description": "canonical documents"})
    changed = fields.List(fields.Nested(PolicyChangeOut))
    unchanged = fields.List(fields.String(), metadata={"description": "policy ids"})
    city_caps = fields.List(fields.Nested(CapChangeOut))


def _set_at(at: datetime, recorded: RecordedSet | None) -> dict[str, Any]:
    return {
        "at": at.astimezone(UTC).isoformat(),
        "policy_set_hash": recorded.content_hash if recorded else None,
        "loaded_at": recorded.loaded_at.isoformat() if recorded else None,
    }


@blp.route("/compare", methods=["GET"])
@require_oauth(roles=("department", "auditor"))
@blp.arguments(
    ComparisonQuery, location="query", as_kwargs=True, error_status_code=400, unknown=RAISE
)
@blp.response(200, ComparisonOut)
@blp.alt_response(400, schema=ProblemOut, content_type="application/problem+json")
@blp.alt_response(409, schema=ProblemOut, content_type="application/problem+json")
def compare(first: datetime, second: datetime) -> Any:
    """The policies in force at ``first`` and at ``second``, side by side.

    Policies are matched by id: those only in the second set are ``added``,
    those only in the first ``removed``, and for each policy in both that
    differs, every differing field with both values in words (and for list-like
    fields the items added and removed). Department clients compare their own
    department's policies only.
    """
    grant = current_grant()
    grant.require_scope("audit:read" if grant.role == "auditor" else "aggregates:request")
    department = None if grant.role == "auditor" else grant.department or ""
    try:
        compared = compare_at(db_session().connection(), first, second, department)
    except HistoryError as exc:
        abort(409, description=f"the recorded policy history was altered: {exc}")
    changes = compared.comparison
    return {
        "first": _set_at(first, compared.first),
        "second": _set_at(second, compared.second),
        "added": [p.canonical() for p in changes.added],
        "removed": [p.canonical() for p in changes.removed],
        "changed": [
            {"id": c.id, "fields_": [f.as_dict() for f in c.fields]} for c in changes.changed
        ],
        "unchanged": list(changes.unchanged),
        "city_caps": [
            {"dataset": c.dataset, "before": c.before, "after": c.after} for c in changes.caps
        ],
    }
