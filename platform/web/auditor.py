"""The auditor's portal pages: browse, prove, verify and export the signed log.

Thin: parse the query, call :mod:`civicdata.audit.queries` or
:mod:`policies.history`, render. Each page an auditor opens is itself an audit
entry (``portal.access``), as every API read is. Filters parse exactly as the
API's do (:mod:`civicdata.api.audit_schemas`), so a bad filter is a 400 that
names the field and shows the form again.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import RAISE, ValidationError

from civicdata.api.audit_schemas import EventListQuery, ExportQuery, event_filter
from civicdata.audit import record_event_committed
from civicdata.audit.actors import describe_actors
from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.export import export_lines
from civicdata.audit.kept import check_kept
from civicdata.audit.queries import (
    csv_chunks,
    decisions_seen,
    iter_events,
    json_chunks,
    list_events,
    lookup_events,
    prove_events,
    search_actors,
    signed_checkpoint,
    signed_view,
    verify_live_log,
)
from civicdata.i18n import gettext
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.portal import current_account, login_required
from civicdata.models import AuditEvent
from civicdata.request_scope import current_platform, db_session
from civicdata.witness.client import cosignatures_of, latest_witnessed, parse_witnesses
from policies.history import HistoryError, policy_set_at

bp = Blueprint("auditor", __name__, url_prefix="/auditor")
FILTER_FIELDS = ("from", "to", "actor", "action", "decision", "department", "dataset", "purpose")
LOOKUP_MAX = 200
DOWNLOADS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


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
    where = search_actors(session, platform.keys.blind_index, event_filter(args))
    page = list_events(session, where, before=args.get("before"), limit=args["limit"])
    filters = {k: v for k, v in values.items() if k in FILTER_FIELDS}
    rows = [signed_view(e) for e in page.events]
    actors = describe_actors(session, [row["actor"] for row in rows])
    return render_template(
        "auditor/events.html",
        errors={},
        page=page,
        rows=rows,
        actors=actors,
        filters=filters,
        **form,
    )


@bp.get("/lookup")
@login_required("auditor")
def lookup() -> ResponseReturnValue:
    """Find entries by leaf hash, release or reservation id, or query hash."""
    _log_access()
    term = request.args.get("q", "").strip()
    if len(term) > LOOKUP_MAX:
        return render_template("auditor/lookup.html", term=term, rows=None, actors={}), 400
    session = db_session()
    rows = [signed_view(e) for e in lookup_events(session, term)] if term else None
    actors = describe_actors(session, [row["actor"] for row in rows or []])
    return render_template("auditor/lookup.html", term=term, rows=rows, actors=actors)


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
    where = search_actors(db_session(), platform.keys.blind_index, event_filter(args))
    sessions = platform.sessions

    def chunks() -> Iterator[str]:
        with sessions() as session:
            yield from (csv_chunks if kind == "csv" else json_chunks)(iter_events(session, where))

    disposition = f'attachment; filename="audit-events.{kind}"'
    return Response(
        chunks(), content_type=DOWNLOADS[kind], headers={"Content-Disposition": disposition}
    )


@bp.get("/events/<int:index>")
@login_required("auditor")
def event(index: int) -> ResponseReturnValue:
    """One entry and its inclusion proof, verified here against the latest signed checkpoint."""
    _log_access()
    session = db_session()
    entry = session.get(AuditEvent, index)
    if entry is None:
        abort(404, description=gettext("There is no audit entry %(index)s.", index=index))
    platform = current_platform()
    signed = signed_view(entry)
    shown = {
        "event": entry,
        "signed": signed,
        "actor": describe_actors(session, [signed["actor"]])[signed["actor"]],
        "signature": base64.b64encode(entry.signature).decode(),
    }
    try:
        (proven,) = prove_events(session, platform.signing, platform.audit_origin, [entry])
    except CheckpointError as exc:
        return render_template("auditor/event.html", proven=None, problem=str(exc), **shown), 409
    return render_template("auditor/event.html", proven=proven, problem=None, **shown)


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
        signed_checkpoint(db_session(), platform.signing, platform.audit_origin)
    except CheckpointError as exc:
        abort(409, description=gettext("No checkpoint can be signed: %(why)s", why=exc))

    def lines() -> Iterator[str]:
        with platform.sessions() as session:
            for line in export_lines(session, platform.audit_origin):
                yield line + "\n"

    disposition = 'attachment; filename="audit-log.jsonl"'
    return Response(
        lines(), mimetype="application/jsonl", headers={"Content-Disposition": disposition}
    )


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


def _utc(moment: datetime) -> datetime:
    """A form's time without an offset is UTC, as the page says."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _describe(error: ValidationError) -> str:
    messages = error.messages if isinstance(error.messages, dict) else {"query": error.messages}
    return "; ".join(f"{name}: {' '.join(map(str, text))}" for name, text in messages.items())
