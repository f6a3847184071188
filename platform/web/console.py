"""The department console: browse the catalog, plan a query, request it, read the result.

Analysts (``login_required("analyst")``) act for their account's department
through the same release service as the API. "Plan" shows the expected 95 %
half-width of each measure and the policy's decision without touching data;
"Request" spends the budget and shows the release as a table and a chart with
error bars, with a CSV download; a release still computing after the
configured wait shows its job's progress first (:mod:`civicdata.web.console_jobs`).
Works without JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from civicdata import telemetry
from civicdata.db import utcnow
from civicdata.downloads import release_csv_download
from civicdata.i18n import gettext
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.portal import current_account, login_required
from civicdata.releases.budgets import grant_budgets
from civicdata.releases.errors import Denied, InvalidQuery, ReleaseNotComputed
from civicdata.releases.policy_request import candidates
from civicdata.releases.service import ReleaseService, Requester
from civicdata.releases.store import Published, department_releases, get_release
from civicdata.request_scope import current_jobs, current_platform, db_session
from civicdata.vault import KeyUnavailableError
from civicdata.web.console_charts import charts
from civicdata.web.console_form import ACCURACIES, QueryForm, choices
from civicdata.web.console_plan import PlanView, as_json, build_plan
from civicdata.web.query_words import describe
from policies.model import policies_for_department

bp = Blueprint("console", __name__, url_prefix="/console")


def _requester() -> Requester:
    account = current_account()
    if account is None or not account.department:
        abort(403, description=gettext("Your account belongs to no department."))
    return Requester(department=account.department, actor=actor_of(account))


def _offered(form: QueryForm) -> Any:
    """The form's choices for the chosen dataset, or ``None`` when it is not the department's."""
    platform = current_platform()
    department = _requester().department
    dataset = platform.catalog.datasets.get(form.dataset)
    policies = candidates(platform.policy_set, department, form.dataset)
    if dataset is None or not policies:
        return None
    return choices(dataset, policies, form.epsilon)


def _page(form: QueryForm, status: int = 200, **extra: Any) -> ResponseReturnValue:
    platform = current_platform()
    requester = _requester()
    mine = policies_for_department(platform.policy_set, requester.department)
    datasets = sorted({p.dataset for p in mine})
    offered = _offered(form)
    form.with_defaults(offered)
    session, now = db_session(), utcnow()
    releases = department_releases(session, requester.department, limit=20)
    return render_template(
        "console/index.html",
        department=requester.department,
        datasets=[platform.catalog.datasets[d] for d in datasets],
        offered=offered,
        form=form,
        accuracies=ACCURACIES,
        budgets=grant_budgets(session, platform.policy_set, requester.department, now),
        releases=releases,
        described={r.id: _described(r.document) for r in releases},
        **extra,
    ), status


def _described(document: str) -> str:
    """The query of a stored release in words (its signed document's query)."""
    return describe(json.loads(document)["query"], current_platform().catalog)


@bp.get("/")
@login_required("analyst")
def index() -> ResponseReturnValue:
    """The catalog of the department's datasets and the query form for the chosen one."""
    return _page(QueryForm(dataset=request.args.get("dataset", "")))


@bp.post("/query")
@login_required("analyst")
def query() -> ResponseReturnValue:
    """``plan``: the plan, nothing spent; ``request``: the plan with a confirmation;
    ``spend`` (the confirmation's button): the release, if the query is the one confirmed."""
    form = QueryForm.from_form(request.form)
    form.with_defaults(_offered(form))
    service = ReleaseService(current_platform())
    action = request.form.get("action", "plan")
    try:
        if action == "spend" and form.confirmed():
            return _spend(service, form)
        confirm = action in ("request", "spend")
        plan = build_plan(
            service, _requester(), form.payload(), form.accuracy_value(), confirm=confirm
        )
        status = 200 if plan.allowed or not confirm else 403
        return _page(form, status, plan=plan, changed=action == "spend")
    except InvalidQuery as exc:
        return _page(form, 422, errors=exc.errors)
    except Denied as exc:
        telemetry.release_denied(exc.decision.request.dataset, exc.decision.policy_id)
        return _page(form, 403, denied=exc.decision.explanation)
    except ReleaseNotComputed as exc:
        if isinstance(exc.__cause__, KeyUnavailableError):
            raise exc.__cause__ from exc  # 503 with Retry-After
        return _page(form, 500, failed=str(exc))


def _spend(service: ReleaseService, form: QueryForm) -> ResponseReturnValue:
    """Release the confirmed query and show it (its errors go to :func:`query`); one still
    computing after the configured wait shows its job's progress (console_jobs) first."""
    submitted = current_jobs().submit(_requester(), form.payload())
    outcome = submitted.outcome
    if outcome is None:
        return redirect(url_for("console_jobs.job", job_id=submitted.job_id))
    return redirect(
        url_for(
            "console.release",
            release_id=outcome.release.id,
            stored="1" if outcome.served_from_store else None,
        )
    )


@bp.post("/plan")
@login_required("analyst")
def live_plan() -> ResponseReturnValue:
    """The plan of the submitted form as JSON with its rendered section (for the page's script)."""
    form = QueryForm.from_form(request.form)
    form.with_defaults(_offered(form))
    try:
        plan: PlanView = build_plan(
            ReleaseService(current_platform()),
            _requester(),
            form.payload(),
            form.accuracy_value(),
            confirm=request.form.get("action") == "request",
        )
    except InvalidQuery as exc:
        html = render_template("console/_plan.html", errors=exc.errors, form=form)
        return jsonify({"errors": exc.errors, "html": html}), 422
    html = render_template("console/_plan.html", plan=plan, form=form)
    return jsonify({**as_json(plan), "html": html})


def _visible(release_id: str) -> Published:
    published = get_release(db_session(), release_id)
    if published is None or published.department != _requester().department:
        abort(404, description=gettext("No release with this id belongs to your department."))
    return published


@bp.get("/releases/<release_id>")
@login_required("analyst")
def release(release_id: str) -> ResponseReturnValue:
    """A release: its numbers with 95 % intervals, charts, and the budget left."""
    published = _visible(release_id)
    platform = current_platform()
    return render_template(
        "console/release.html",
        release=published.document,
        described=describe(published.document["query"], platform.catalog),
        signature=published.signature,
        stored=request.args.get("stored") == "1",
        charts=charts(published.document, platform.catalog),
        budgets=grant_budgets(db_session(), platform.policy_set, published.department, utcnow()),
    )


@bp.get("/releases/<release_id>.csv")
@login_required("analyst")
def release_csv(release_id: str) -> Response:
    """The release's cells as CSV (value, lower, upper, half_width)."""
    return release_csv_download(_visible(release_id))
