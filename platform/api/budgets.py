"""``GET /api/v1/budgets``: what is left of each privacy budget, and when it renews.

A department client sees only its own grants, and of the city-wide caps only
those of datasets it holds a grant on, as what is left *for it*: never other
departments' spending or timing. An auditor (``audit:read``) sees every grant
and every cap with what was spent and when it renews.

``GET /api/v1/budgets/daily?from=...&to=...`` (auditors only): the epsilon
charged per UTC day to each grant over any period, each charge checked
against its signed log entry.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields
from werkzeug.exceptions import BadRequest

from civicdata.api.audit_schemas import ProblemOut
from civicdata.api.release_schemas import BudgetsOut
from civicdata.audit.filters import PeriodQuery, period_of
from civicdata.audit.spending import daily_spending
from civicdata.db import utcnow
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.releases.budgets import auditor_view, department_view
from civicdata.request_scope import current_platform, db_session

blp = Blueprint("budgets", __name__, url_prefix="/budgets", description="Privacy budgets")


@blp.route("", methods=["GET"])
@blp.alt_response(200, schema=BudgetsOut, description="balances in the current windows")
@require_oauth(roles=("department", "auditor"))
def budgets() -> Response:
    """Remaining budget per grant and period, when it renews, and the city-wide caps."""
    grant = current_grant()
    grant.require_scope("audit:read" if grant.role == "auditor" else "aggregates:request")
    policy_set, session, now = current_platform().policy_set, db_session(), utcnow()
    if grant.role == "auditor":
        view = auditor_view(session, policy_set, now)
    else:
        view = department_view(session, policy_set, grant.department or "", now)
    body = {"at": now.replace(microsecond=0).isoformat(), **view}
    return Response(json.dumps(body), mimetype="application/json")


class DayChargeOut(Schema):
    day = fields.String(metadata={"format": "date"})
    epsilon = fields.String(metadata={"description": "ε charged that day, exact decimal"})
    delta = fields.String(metadata={"description": "δ charged that day, exact decimal"})
    charges = fields.Integer(metadata={"description": "releases charged that day"})


class GrantDaysOut(Schema):
    policy_id = fields.String()
    department = fields.String()
    dataset = fields.String()
    epsilon = fields.String(metadata={"description": "ε charged in the period"})
    charges = fields.Integer()
    days = fields.List(fields.Nested(DayChargeOut), metadata={"description": "days with a charge"})


class DailyOut(Schema):
    from_ = fields.String(data_key="from", metadata={"format": "date"})
    to = fields.String(metadata={"format": "date"})
    grants = fields.List(fields.Nested(GrantDaysOut))
    unverified = fields.List(
        fields.String(),
        metadata={"description": "reservation ids whose signed log entry is missing or disagrees"},
    )


@blp.route("/daily", methods=["GET"])
@require_oauth("audit:read")
@blp.arguments(PeriodQuery, location="query", error_status_code=400, unknown=RAISE)
@blp.response(200, DailyOut)
@blp.alt_response(400, schema=ProblemOut, content_type="application/problem+json")
def daily(args: dict[str, Any]) -> Any:
    """ε and δ charged per UTC day to each grant from ``from`` to ``to`` (both included).

    Defaults: ``to`` today, ``from`` 29 days before ``to``. Only days with a
    charge are listed. A charge is what counts against the budgets (reserved or
    spent); ``unverified`` lists those whose signed ``release.decision`` entry is
    missing or names another grant or amount.
    """
    try:
        first, last = period_of(args, utcnow().date())
    except ValidationError as exc:
        error = BadRequest(description="Invalid period")
        error.data = {"messages": {"query": exc.messages}}  # type: ignore[attr-defined]
        raise error from None
    document = daily_spending(db_session(), first, last).as_dict()
    return {**document, "from_": document.pop("from")}
