"""``/api/v1/releases``: plan, request and read differentially private releases.

Departments (``aggregates:request``) plan and request releases and read their
own; auditors (``audit:read``) may read any release. A policy denial is a 403
problem+json with the policy's explanation; an invalid query a 422 naming each
field. No answer, error or not, carries an exact count.

A release that takes longer than ``CIVIC_RELEASE_WAIT_SECONDS`` is answered
202 with the job (:mod:`civicdata.releases.jobs`) and its ``Location``,
``/api/v1/releases/jobs/<id>``, readable by the requesting department and by
auditors until it reads ``done`` (with the release) or ``failed``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, json, request
from flask_smorest import Blueprint

from civicdata import telemetry
from civicdata.api.release_schemas import (
    PlanOut,
    ReleaseJobOut,
    ReleaseOut,
    ReleaseRequestSchema,
    ReleaseSummaryOut,
)
from civicdata.downloads import release_csv_download
from civicdata.errors import RETRY_AFTER_SECONDS, problem
from civicdata.identity.audit_trail import client_actor
from civicdata.models import StoredRelease
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.releases import signing
from civicdata.releases.errors import Denied, InvalidQuery, ReleaseError, ReleaseNotComputed
from civicdata.releases.jobs import JobView
from civicdata.releases.planning import plan_release
from civicdata.releases.service import Outcome, ReleaseService, Requester
from civicdata.releases.store import Published, department_releases, get_release
from civicdata.request_scope import current_jobs, current_platform, db_session
from civicdata.vault import KeyUnavailableError
from policies.budget import DELTA_UNIT, EPSILON_UNIT, Cost, from_units, text

blp = Blueprint(
    "releases",
    __name__,
    url_prefix="/releases",
    description="Differentially private releases: plan, request, read (JSON or CSV)",
)
QUERY_BODY = {
    "required": True,
    "content": {"application/json": {"schema": ReleaseRequestSchema}},
}
POLL_SECONDS = 1  # Retry-After on a job that has not finished
JOB_HEADERS = {
    "Location": {
        "description": "the job: GET it until its state is done or failed",
        "schema": {"type": "string", "example": "/api/v1/releases/jobs/job-5f0c"},
    },
    "Retry-After": {"description": "seconds to wait before polling", "schema": {"type": "integer"}},
}


def _requester() -> Requester:
    grant = current_grant()
    if not grant.department:
        abort(403, description="This client belongs to no department.")
    return Requester(department=grant.department, actor=client_actor(grant.client_id))


def error_response(exc: ReleaseError) -> Response:
    """The problem+json answer for a release service error."""
    if isinstance(exc, InvalidQuery):
        return problem(
            422, "Unprocessable Content", "The query is not valid; see errors.", errors=exc.errors
        )
    if isinstance(exc, Denied):
        decision = exc.decision
        telemetry.release_denied(decision.request.dataset, decision.policy_id)
        return problem(
            403,
            "Forbidden",
            decision.explanation,
            policy_id=decision.policy_id,
            policy_set_hash=decision.policy_set_hash,
            failure=None if decision.failure is None else decision.failure.as_dict(),
        )
    if isinstance(exc, ReleaseNotComputed) and isinstance(exc.__cause__, KeyUnavailableError):
        response = problem(503, "Service Unavailable", str(exc), charged=exc.charged)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, ReleaseNotComputed):
        return problem(500, "Release failed", str(exc), charged=exc.charged)
    raise exc


def signed(published: Published) -> dict[str, Any]:
    """The release document with its signature, as every endpoint returns it."""
    return {
        "release": published.document,
        "signature": {
            "algorithm": signing.ALGORITHM,
            "key_id": published.key_id,
            "value": published.signature,
            "covers": signing.COVERS,
        },
    }


def _outcome_body(outcome: Outcome) -> dict[str, Any]:
    return _release_body(
        outcome.release, outcome.charged, outcome.decision.explanation, outcome.served_from_store
    )


def _release_body(
    published: Published, charged: Cost, explanation: str, from_store: bool
) -> dict[str, Any]:
    return {
        **signed(published),
        "served_from_store": from_store,
        "charged": charged.as_dict(),
        "explanation": (
            "served from store: the same query was released in this budget period, at no cost"
            if from_store
            else explanation
        ),
    }


def job_body(job: JobView) -> dict[str, Any]:
    """The job resource: its state and progress, and the release as 201 gives it once done."""
    body = job.as_dict()
    if job.release is not None and job.charged is not None:
        body.update(_release_body(job.release, job.charged, job.explanation, False))
    return body


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@blp.route("/plan", methods=["POST"])
@blp.doc(requestBody=QUERY_BODY)
@blp.alt_response(200, schema=PlanOut, description="expected accuracy, decision, budget")
@blp.alt_response(422, description="invalid query (problem+json naming each field)")
@require_oauth("aggregates:request")
def plan() -> Response:
    """Plan a release without touching data: expected 95 % half-widths for an epsilon, or
    the epsilon a target accuracy needs, and whether the policy and budget allow it."""
    try:
        outcome = plan_release(
            ReleaseService(current_platform()), _requester(), request.get_json(silent=True)
        )
    except ReleaseError as exc:
        return error_response(exc)
    return _json(outcome.as_dict())


@blp.route("", methods=["POST"])
@blp.doc(requestBody=QUERY_BODY)
@blp.alt_response(201, schema=ReleaseOut, description="the signed release")
@blp.alt_response(200, schema=ReleaseOut, description="the same release, served from store")
@blp.alt_response(
    202,
    schema=ReleaseJobOut,
    description="the budget is reserved and the release is being computed: poll the job "
    "at Location (after CIVIC_RELEASE_WAIT_SECONDS without a result)",
    headers=JOB_HEADERS,
)
@blp.alt_response(403, description="denied by policy (problem+json with the explanation)")
@blp.alt_response(422, description="invalid query (problem+json naming each field)")
@blp.alt_response(500, description="the release failed (problem+json; charged says if spent)")
@blp.alt_response(503, description="a master key is unavailable; Retry-After")
@require_oauth("aggregates:request")
def create() -> Response:
    """Request a release. The same query under the same policy set in the same budget period
    is served from store at no cost unless ``fresh`` is true. The budget is reserved at once;
    a release not computed within the configured wait is answered 202 with its job."""
    try:
        submitted = current_jobs().submit(_requester(), request.get_json(silent=True))
    except ReleaseError as exc:
        return error_response(exc)
    outcome = submitted.outcome
    if outcome is None:
        assert submitted.job_id is not None
        job = current_jobs().read(submitted.job_id)
        assert job is not None
        response = _json(job_body(job), 202)
        response.headers["Location"] = f"{request.path}/jobs/{job.id}"
        response.headers["Retry-After"] = str(POLL_SECONDS)
        return response
    response = _json(_outcome_body(outcome), 200 if outcome.served_from_store else 201)
    response.headers["Location"] = f"{request.path}/{outcome.release.id}"
    return response


@blp.route("/jobs/<job_id>", methods=["GET"])
@blp.alt_response(
    200,
    schema=ReleaseJobOut,
    description="queued, running (Retry-After), done with the release, or failed with the error",
)
@blp.alt_response(404, description="no job with this id is visible to you")
@require_oauth(roles=("department", "auditor"))
def read_job(job_id: str) -> Response:
    """A release job: its state and progress; the signed release once ``done``, the error
    (and whether the budget was charged) once ``failed``. Readable by the department that
    requested it and by auditors (``audit:read``)."""
    grant = current_grant()
    grant.require_scope("audit:read" if grant.role == "auditor" else "aggregates:request")
    job = current_jobs().read(job_id)
    if job is None or (grant.role == "department" and job.department != grant.department):
        abort(404, description="No release job with this id is visible to you.")
    response = _json(job_body(job))
    if not job.finished:
        response.headers["Retry-After"] = str(POLL_SECONDS)
    return response


@blp.route("", methods=["GET"])
@blp.alt_response(200, schema=ReleaseSummaryOut(many=True), description="newest first")
@require_oauth("aggregates:request")
def list_releases() -> Response:
    """The releases of my department, newest first (at most 200)."""
    rows = department_releases(db_session(), _requester().department)
    return _json([summary(row) for row in rows])


def summary(row: StoredRelease) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "dataset": row.dataset,
        "purpose": row.purpose,
        "policy_id": row.policy_id,
        "mechanism": row.mechanism,
        "epsilon": text(from_units(row.epsilon_units, EPSILON_UNIT)),
        "delta": text(from_units(row.delta_units, DELTA_UNIT)),
        "query_hash": row.query_hash,
        "requested_by": row.requester,
    }


@blp.route("/<release_id>", methods=["GET"])
@blp.alt_response(200, schema=ReleaseOut, description="JSON, or CSV with ?format=csv")
@blp.alt_response(404, description="no such release of your department")
@require_oauth(roles=("department", "auditor"))
def read(release_id: str) -> Response:
    """One release (JSON), or its cells as CSV (``?format=csv`` or ``Accept: text/csv``)
    with value, lower, upper and half_width. Auditors (``audit:read``) may read any."""
    grant = current_grant()
    grant.require_scope("audit:read" if grant.role == "auditor" else "aggregates:request")
    published = get_release(db_session(), release_id)
    if published is None or (
        grant.role == "department" and published.department != grant.department
    ):
        abort(404, description="No release with this id is visible to you.")
    if _wants_csv():
        return release_csv_download(published)
    return _json(signed(published))


def _wants_csv() -> bool:
    if request.args.get("format") not in (None, "json", "csv"):
        abort(400, description="format: use json or csv")
    if request.args.get("format") == "csv":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


@blp.route("/signing-key", methods=["GET"])
@blp.alt_response(
    200, description="PEM (SubjectPublicKeyInfo)", content_type="application/x-pem-file"
)
def signing_key() -> Response:
    """The Ed25519 public key that signs releases now (public; every key: /.well-known/civic-keys)."""
    key = current_platform().signing.history().current(signing.USE)
    return Response(key.public_key_pem, mimetype="application/x-pem-file")
