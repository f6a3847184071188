"""The department console: browse the catalog, plan a query, request it, read the result.

Analysts (``login_required("analyst")``) act for their account's department
through the same release service as the API. "Plan" shows the expected 95 %
half-width of each measure and the policy's decision without touching data;
"Request" spends the budget and shows the release as a table and a chart with
error bars, with a CSV download. Works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicdata import telemetry
from civicdata.db import utcnow
from civicdata.downloads import release_csv_download
from civicdata.i18n import gettext
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.portal import current_account, login_required
from civicdata.releases.budgets import grant_budgets
from civicdata.releases.errors import Denied, InvalidQuery, ReleaseNotComputed
from civicdata.releases.planning import PlanOutcome, plan_release
from civicdata.releases.policy_request import candidates
from civicdata.releases.service import ReleaseService, Requester
from civicdata.releases.store import Published, department_releases, get_release
from civicdata.request_scope import current_platform, db_session
from civicdata.vault import KeyUnavailableError
from civicdata.web.charts import Bar, bar_chart
from civicdata.web.console_form import QueryForm, choices
from policies.model import policies_for_department

bp = Blueprint("console", __name__, url_prefix="/console")


def _requester() -> Requester:
    account = current_account()
    if account is None or not account.department:
        abort(403, description=gettext("Your account belongs to no department."))
    return Requester(department=account.department, actor=actor_of(account))


def _page(form: QueryForm, status: int = 200, **extra: Any) -> ResponseReturnValue:
    platform = current_platform()
    requester = _requester()
    mine = policies_for_department(platform.policy_set, requester.department)
    datasets = sorted({p.dataset for p in mine})
    dataset = platform.catalog.datasets.get(form.dataset)
    offered = None
    if dataset is not None and form.dataset in datasets:
        offered = choices(
            dataset, candidates(platform.policy_set, requester.department, dataset.id)
        )
    session, now = db_session(), utcnow()
    return render_template(
        "console/index.html",
        department=requester.department,
        datasets=[platform.catalog.datasets[d] for d in datasets],
        offered=offered,
        form=form,
        budgets=grant_budgets(session, platform.policy_set, requester.department, now),
        releases=department_releases(session, requester.department, limit=20),
        **extra,
    ), status


@bp.get("/")
@login_required("analyst")
def index() -> ResponseReturnValue:
    """The catalog of the department's datasets and the query form for the chosen one."""
    return _page(QueryForm(dataset=request.args.get("dataset", "")))


@bp.post("/query")
@login_required("analyst")
def query() -> ResponseReturnValue:
    """``action=plan``: expected accuracy, nothing spent; ``action=request``: release."""
    form = QueryForm.from_form(request.form)
    service = ReleaseService(current_platform())
    try:
        if request.form.get("action") == "request":
            outcome = service.request(_requester(), form.payload())
            telemetry.release_served(
                outcome.decision.request.dataset,
                outcome.release.id,
                outcome.charged.epsilon,
                outcome.served_from_store,
            )
            return redirect(
                url_for(
                    "console.release",
                    release_id=outcome.release.id,
                    stored="1" if outcome.served_from_store else None,
                )
            )
        return _page(form, plan=plan_view(plan_release(service, _requester(), form.payload())))
    except InvalidQuery as exc:
        return _page(form, 422, errors=exc.errors)
    except Denied as exc:
        telemetry.release_denied(exc.decision.request.dataset, exc.decision.policy_id)
        return _page(form, 403, denied=exc.decision.explanation)
    except ReleaseNotComputed as exc:
        if isinstance(exc.__cause__, KeyUnavailableError):
            raise exc.__cause__ from exc  # 503 with Retry-After
        return _page(form, 500, failed=str(exc))


def plan_view(outcome: PlanOutcome) -> dict[str, Any]:
    """What the page shows of a plan: epsilon, decision and expected ± per measure."""
    return {
        "epsilon": outcome.as_dict()["epsilon"],
        "allowed": outcome.decision.allowed,
        "explanation": outcome.decision.explanation,
        "measures": [
            {"name": m.name, "kind": m.kind, "half_width": m.half_width, "rank_error": m.rank_error}
            for m in outcome.plan.measures
        ],
    }


def _visible(release_id: str) -> Published:
    published = get_release(db_session(), release_id)
    if published is None or published.department != _requester().department:
        abort(404, description=gettext("No release with this id belongs to your department."))
    return published


def charts(document: dict[str, Any]) -> list[str]:
    """One bar chart with 95 % error bars per measure (and quantile level)."""
    group_by = document["query"]["group_by"]
    by_measure: dict[str, list[Bar]] = {}
    for cell in document["cells"]:
        label = " · ".join(str(cell["group"][g]) for g in group_by) or "all"
        if cell.get("bin") is not None:
            label = f"{label} · {cell['bin']}"
        title = (
            cell["measure"]
            if cell.get("quantile") is None
            else f"{cell['measure']} q{cell['quantile']}"
        )
        by_measure.setdefault(title, []).append(
            Bar(label, float(cell["value"]), cell["half_width"])
        )
    return [bar_chart(f"{title} (95 % error bars)", bars) for title, bars in by_measure.items()]


@bp.get("/releases/<release_id>")
@login_required("analyst")
def release(release_id: str) -> ResponseReturnValue:
    """A release: its numbers with 95 % intervals, charts, and the budget left."""
    published = _visible(release_id)
    platform = current_platform()
    return render_template(
        "console/release.html",
        release=published.document,
        signature=published.signature,
        stored=request.args.get("stored") == "1",
        charts=charts(published.document),
        budgets=grant_budgets(db_session(), platform.policy_set, published.department, utcnow()),
    )


@bp.get("/releases/<release_id>.csv")
@login_required("analyst")
def release_csv(release_id: str) -> Response:
    """The release's cells as CSV (value, lower, upper, half_width)."""
    return release_csv_download(_visible(release_id))
