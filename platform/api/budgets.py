"""``GET /api/v1/budgets``: what is left of each privacy budget, and when it renews.

A department client sees its own grants; an auditor (``audit:read``) sees every
grant. Both see the city-wide cap of each dataset, shared by all departments.
"""

from __future__ import annotations

from flask import Response, json
from flask_smorest import Blueprint

from civicdata.api.release_schemas import BudgetsOut
from civicdata.db import utcnow
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.releases.budgets import city_budgets, grant_budgets
from civicdata.request_scope import current_platform, db_session

blp = Blueprint("budgets", __name__, url_prefix="/budgets", description="Privacy budgets")


@blp.route("", methods=["GET"])
@blp.alt_response(200, schema=BudgetsOut, description="balances in the current windows")
@require_oauth(roles=("department", "auditor"))
def budgets() -> Response:
    """Remaining budget per grant and period, when it renews, and the city-wide caps."""
    grant = current_grant()
    grant.require_scope("audit:read" if grant.role == "auditor" else "aggregates:request")
    department = None if grant.role == "auditor" else grant.department or ""
    platform, session, now = current_platform(), db_session(), utcnow()
    body = {
        "at": now.isoformat(),
        "grants": [
            g.as_dict() for g in grant_budgets(session, platform.policy_set, department, now)
        ],
        "city_caps": [c.as_dict() for c in city_budgets(session, platform.policy_set, now)],
    }
    return Response(json.dumps(body), mimetype="application/json")
