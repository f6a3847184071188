"""``GET /api/v1/policies?at=...``: the access policies in force at a moment.

Auditors (``audit:read``) see the whole policy set in force at ``at`` (default:
now), as recorded in the policy-set history; department clients see the
policies of that set that concern their department. Each answer names the
set's content hash, which every decision and release carries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from civicdata.db import utcnow
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.request_scope import db_session
from policies.history import policy_set_at
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
