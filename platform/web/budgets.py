"""The auditor's budget pages: privacy budget spent per department, dataset and period.

Tables and charts of every grant's balance in its current window, of the
city-wide cap per dataset, and of the epsilon charged per month; and the
epsilon charged per day to each grant over a period the auditor chooses, as a
chart with its data table (each charge checked against its signed log entry).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, ValidationError

from civicdata.audit import record_event_committed
from civicdata.audit.filters import PeriodQuery, period_of
from civicdata.audit.spending import daily_spending
from civicdata.db import utcnow
from civicdata.i18n import gettext
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.portal import current_account, login_required
from civicdata.releases.budgets import city_budgets, grant_budgets, spending_by_month
from civicdata.request_scope import current_platform, db_session
from civicdata.web.charts import Bar, Column, Series, bar_chart, daily_chart
from policies.budget import text

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


@bp.get("/auditor/budgets/daily")
@login_required("auditor")
def daily() -> ResponseReturnValue:
    """ε charged per day to each grant, over the period chosen (default: the last 30 days)."""
    record_event_committed(
        current_platform().sessions,
        actor=actor_of(current_account()),
        action="portal.access",
        resource=request.path[:200],
        role="auditor",
    )
    values = {k: v for k in ("from", "to") if (v := request.args.get(k, "").strip())}
    context: dict[str, Any] = {"values": values, "errors": {}, "spending": None, "chart": ""}
    try:
        first, last = period_of(PeriodQuery().load(values, unknown=RAISE), utcnow().date())
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render_template("budgets/daily.html", amount=text, **context), 400
    spending = daily_spending(db_session(), first, last)
    series = [
        Series(
            g.policy_id,
            [
                Column(d.day, float(d.epsilon), f"{d.charges} release{'s' * (d.charges != 1)}")
                for d in g.days
            ],
            f"{g.department}, {g.dataset}: ε {text(g.epsilon)} in the period",
        )
        for g in spending.grants
    ]
    chart = daily_chart(
        "ε charged per day, per grant",
        first,
        last,
        series,
        unit="ε",
        axis="ε charged per day",
    )
    context.update(spending=spending, chart=chart, first=first, last=last)
    return render_template("budgets/daily.html", amount=text, **context)
