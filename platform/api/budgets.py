"""``GET /api/v1/budgets``: what is left of each privacy budget, and when it renews.

A department client sees only its own grants, and of the city-wide caps only
those of datasets it holds a grant on, as what is left *for it*: never other
departments' spending or timing. An auditor (``audit:read``) sees every grant
and every cap with what was spent and when it renews.
"""

from __future__ import annotations

from flask import Response, json
from flask_smorest import Blueprint

from civicdata.api.release_schemas import BudgetsOut
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
