"""The department console's page for a release still being computed (a job).

``/console/jobs/<id>`` shows the job's state and progress. With JavaScript,
``static/job-progress.js`` polls ``/console/jobs/<id>.json`` and updates the
page; without it, the page refreshes itself (``<noscript>`` meta refresh) and
offers a "Check again" link. Once the job is done the page leads to the
release; once failed it says why and whether the budget was charged. Only
analysts of the department that requested the job see it (404 otherwise).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from civicdata.identity.portal import current_account, login_required
from civicdata.releases.jobs import JobView
from civicdata.request_scope import current_jobs

bp = Blueprint("console_jobs", __name__, url_prefix="/console/jobs")
REFRESH_SECONDS = 2


def _visible(job_id: str) -> JobView:
    account = current_account()
    job = current_jobs().read(job_id)
    if job is None or account is None or job.department != account.department:
        abort(404, description="No release job with this id belongs to your department.")
    return job


def status(job: JobView) -> dict[str, Any]:
    """What the page's script needs: state, progress and where to go once finished."""
    progress = None if job.progress is None else {"done": job.progress[0], "total": job.progress[1]}
    return {
        "id": job.id,
        "state": job.state,
        "progress": progress,
        "percent": job.percent,
        "page": url_for("console_jobs.job", job_id=job.id),
    }


@bp.get("/<job_id>")
@login_required("analyst")
def job(job_id: str) -> ResponseReturnValue:
    """The job's progress; the release once it is done."""
    found = _visible(job_id)
    if found.state == "done" and found.release is not None:
        return redirect(url_for("console.release", release_id=found.release.id))
    return render_template(
        "console/job.html", job=found, status=status(found), refresh=REFRESH_SECONDS
    )


@bp.get("/<job_id>.json")
@login_required("analyst")
def job_status(job_id: str) -> Response:
    """The job's state and progress for the page's script."""
    return jsonify(status(_visible(job_id)))
