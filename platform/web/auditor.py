"""The auditor's portal pages: browse, prove, verify and export the signed log.

Thin: parse the query, call the services of :mod:`civicdata.audit` (the same
ones the API calls) or :mod:`policies`, render. Each page an auditor opens is
itself an audit entry (``portal.access``), as every API read is. Filters parse
exactly as the API's do (:mod:`civicdata.audit.filters`), so a bad filter is a
400 that names the field and shows the form again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, ValidationError

from civicdata.audit import record_event_committed
from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.entries import (
    Export,
    NoSuchEntry,
    browse,
    entry_with_proof,
    export_events,
    export_log,
    look_up,
)
from civicdata.audit.filters import ComparisonQuery, EventListQuery, ExportQuery, event_filter
from civicdata.audit.kept import check_kept
from civicdata.audit.queries import decisions_seen, verify_live_log
from civicdata.i18n import gettext
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.portal import current_account, login_required
from civicdata.request_scope import current_platform, db_session
from civicdata.witness.client import cosignatures_of, latest_witnessed, parse_witnesses
from policies.compare import compare_at, summary
from policies.history import HistoryError, policy_set_at

bp = Blueprint("auditor", __name__, url_prefix="/auditor")
FILTER_FIELDS = ("from", "to", "actor", "action", "decision", "department", "dataset", "purpose")
LOOKUP_MAX = 200
DOWNLOADS = ("csv", "json")


def _log_access() -> None:
    """Record that the signed-in auditor read this page (before anything else is written)."""
    record_event_committed(
        current_platform().sessions,
        actor=actor_of(current_account()),
        action="portal.access",
        resource=request.path[:200],
        role="auditor",
    )


def _given(names: tuple[str, ...]) -> dict[str, str]:
    """The non-empty query parameters among ``names`` (an empty form field means any)."""
    return {name: value for name in names if (value := request.args.get(name, "").strip())}


@bp.get("/")
@login_required("auditor")
def home() -> ResponseReturnValue:
    return redirect(url_for("auditor.events"))


@bp.get("/events")
@login_required("auditor")
def events() -> ResponseReturnValue:
    """The log, newest first, filtered by time, actor, department, dataset, purpose, decision."""
    _log_access()
    values = _given((*FILTER_FIELDS, "before", "limit"))
    platform, session = current_platform(), db_session()
    form = {
        "values": values,
        "departments": sorted(platform.catalog.departments),
        "datasets": sorted(platform.catalog.datasets),
        "purposes": sorted(platform.purposes),
        "decisions": decisions_seen(session),
    }
    try:
        args = EventListQuery().load(values, unknown=RAISE)
    except ValidationError as exc:
        return render_template("auditor/events.html", errors=exc.messages, page=None, **form), 400
    page = browse(
        session,
        platform.keys.blind_index,
        event_filter(args),
        before=args.get("before"),
        limit=args["limit"],
    )
    filters = {k: v for k, v in values.items() if k in FILTER_FIELDS}
    return render_template("auditor/events.html", errors={}, page=page, filters=filters, **form)


@bp.get("/lookup")
@login_required("auditor")
def lookup() -> ResponseReturnValue:
    """Find entries by leaf hash, release or reservation id, or query hash."""
    _log_access()
    term = request.args.get("q", "").strip()
    if len(term) > LOOKUP_MAX:
        return render_template("auditor/lookup.html", term=term, rows=None), 400
    rows = look_up(db_session(), term) if term else None
    return render_template("auditor/lookup.html", term=term, rows=rows)


@bp.get("/events.<kind>")
@login_required("auditor")
def download(kind: str) -> ResponseReturnValue:
    """The filtered view (every page) as a CSV or JSON file."""
    if kind not in DOWNLOADS:
        abort(404)
    _log_access()
    try:
        args = ExportQuery().load({**_given(FILTER_FIELDS), "format": kind}, unknown=RAISE)
    except ValidationError as exc:
        abort(400, description=_describe(exc))
    platform = current_platform()
    return _download(
        export_events(
            db_session(), platform.keys.blind_index, platform.sessions, event_filter(args), kind
        )
    )


def _download(export: Export) -> Response:
    disposition = f'attachment; filename="{export.filename}"'
    return Response(
        export.chunks, content_type=export.media_type, headers={"Content-Disposition": disposition}
    )


@bp.get("/events/<int:index>")
@login_required("auditor")
def event(index: int) -> ResponseReturnValue:
    """One entry and its inclusion proof, verified here against the latest signed checkpoint."""
    _log_access()
    platform = current_platform()
    try:
        found = entry_with_proof(db_session(), platform.signing, platform.audit_origin, index)
    except NoSuchEntry:
        abort(404, description=gettext("There is no audit entry %(index)s.", index=index))
    page = render_template(
        "auditor/event.html",
        event=found.event,
        signed=found.signed,
        actor=found.actor,
        signature=found.signature_base64,
        proven=found.proven,
        problem=found.problem,
    )
    return page, 409 if found.proven is None else 200


@bp.get("/verification")
@login_required("auditor")
def verification() -> ResponseReturnValue:
    """Verify the stored log now and show the outcome, with the way to check it offline."""
    _log_access()
    platform = current_platform()
    session = db_session()
    live = verify_live_log(session, platform.signing, platform.audit_origin)
    witnesses = parse_witnesses(platform.config.witnesses)
    witnessed = latest_witnessed(session)
    cosigned = cosignatures_of(session, witnessed, witnesses) if witnessed else []
    return render_template(
        "auditor/verification.html",
        live=live,
        witnesses=witnesses,
        witnessed=witnessed,
        cosigned=cosigned,
    )


@bp.route("/consistency", methods=["GET", "POST"])
@login_required("auditor")
def consistency() -> ResponseReturnValue:
    """Paste a checkpoint kept from an earlier visit; see the consistency proof checked."""
    _log_access()
    note = request.form.get("checkpoint", "") if request.method == "POST" else ""
    if not note.strip():
        error = gettext("Paste the whole signed checkpoint.") if request.method == "POST" else None
        return render_template("auditor/consistency.html", note=note, check=None, error=error), (
            400 if error else 200
        )
    platform = current_platform()
    try:
        check = check_kept(db_session(), platform.signing, platform.audit_origin, note)
    except CheckpointError as exc:
        error = gettext("This is not a checkpoint of this log signed by its key: %(why)s", why=exc)
        return render_template("auditor/consistency.html", note=note, check=None, error=error), 400
    return render_template("auditor/consistency.html", note=note, check=check, error=None)


@bp.get("/log.jsonl")
@login_required("auditor")
def log_export() -> ResponseReturnValue:
    """The whole log and its latest checkpoint, for ``civic audit verify --export``."""
    _log_access()
    platform = current_platform()
    try:
        export = export_log(
            db_session(), platform.signing, platform.audit_origin, platform.sessions
        )
    except CheckpointError as exc:
        abort(409, description=gettext("No checkpoint can be signed: %(why)s", why=exc))
    return _download(export)


@bp.get("/public-key.pem")
@login_required("auditor")
def public_key() -> ResponseReturnValue:
    """The audit key signing now (compare it with the one published out of band)."""
    key = current_platform().signing.history().current("audit")
    disposition = f'attachment; filename="{key.kid}.pub.pem"'
    return Response(
        key.public_key_pem,
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": disposition},
    )


@bp.get("/policies")
@login_required("auditor")
def policies() -> ResponseReturnValue:
    """The policies in force at a chosen time (default: now), from the recorded history."""
    _log_access()
    raw = request.args.get("at", "").strip()
    when = datetime.now(UTC)
    context: dict[str, Any] = {"raw": raw or when.strftime("%Y-%m-%dT%H:%M:%S"), "error": None}
    if raw:
        try:
            when = _utc(datetime.fromisoformat(raw))
        except ValueError:
            context["error"] = gettext("Give a date and time, e.g. 2026-03-01T09:30 (UTC).")
            return render_template(
                "auditor/policies.html", when=None, recorded=None, **context
            ), 400
    try:
        recorded = policy_set_at(db_session().connection(), when)
    except HistoryError as exc:
        context["error"] = gettext("The recorded policy history was altered: %(why)s", why=exc)
        recorded = None
    return render_template("auditor/policies.html", when=when, recorded=recorded, **context)


@bp.get("/policies/compare")
@login_required("auditor")
def compare_policies() -> ResponseReturnValue:
    """The policies in force at two moments side by side: added, removed, changed fields."""
    _log_access()
    values = _given(("first", "second"))
    context: dict[str, Any] = {"values": values, "errors": {}, "compared": None, "problem": None}
    if not values:
        return render_template("auditor/compare.html", **context)
    try:
        args = ComparisonQuery().load(values, unknown=RAISE)
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render_template("auditor/compare.html", **context), 400
    try:
        context["compared"] = compare_at(db_session().connection(), args["first"], args["second"])
    except HistoryError as exc:
        context["problem"] = f"The recorded policy history was altered: {exc}"
        return render_template("auditor/compare.html", **context), 409
    return render_template("auditor/compare.html", summary=summary, **context)


def _utc(moment: datetime) -> datetime:
    """A form's time without an offset is UTC, as the page says."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _describe(error: ValidationError) -> str:
    messages = error.messages if isinstance(error.messages, dict) else {"query": error.messages}
    return "; ".join(f"{name}: {' '.join(map(str, text))}" for name, text in messages.items())
