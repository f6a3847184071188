"""The auditor's budget page: privacy budget spent per department, dataset and period.

Tables and charts of every grant's balance in its current window, of the
city-wide cap per dataset, and of the epsilon charged per month.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from civicdata.db import utcnow
from civicdata.i18n import gettext
from civicdata.identity.portal import login_required
from civicdata.releases.budgets import city_budgets, grant_budgets, spending_by_month
from civicdata.request_scope import current_platform, db_session
from civicdata.web.charts import Bar, bar_chart

bp = Blueprint("auditor_budgets", __name__)


@bp.get("/auditor/budgets")
@login_required("auditor")
def page() -> ResponseReturnValue:
    """Spent and remaining budget per grant and dataset, and spending per month."""
    platform, session, now = current_platform(), db_session(), utcnow()
    grants = grant_budgets(session, platform.policy_set, None, now)
    caps = city_budgets(session, platform.policy_set, now)
    grant_chart = bar_chart(
        gettext("ε spent per grant in its current period (mark: the grant's budget)"),
        [
            Bar(g.policy.id, float(g.balance.spent.epsilon), None, float(g.policy.budget.epsilon))
            for g in grants
        ],
    )
    cap_chart = bar_chart(
        gettext("ε spent per dataset in the cap's current period (mark: the city-wide cap)"),
        [
            Bar(c.dataset, float(c.balance.spent.epsilon), None, float(c.balance.total.epsilon))
            for c in caps
        ],
    )
    return render_template(
        "budgets/auditor.html",
        grants=grants,
        caps=caps,
        months=spending_by_month(session),
        grant_chart=grant_chart,
        cap_chart=cap_chart,
    )
