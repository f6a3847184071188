"""``/api/v1/audit``: the signed audit log for auditors (scope ``audit:read``).

Browse and export filtered entries, fetch an entry with its inclusion proof,
the latest signed checkpoint (signed on demand when the log grew) with the
public key, consistency proofs between tree sizes, and a verification run over
the stored log. Every answer can be re-checked offline with the RFC 9162
verifiers and the public key; the server's own "verified" is a convenience.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Response, abort, request, url_for
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from civicdata.api.audit_schemas import (
    CheckpointOut,
    ConsistencyOut,
    ConsistencyQuery,
    EventDetailOut,
    EventListQuery,
    EventPageOut,
    ExportQuery,
    LookupOut,
    LookupQuery,
    ProblemOut,
    VerificationOut,
    event_filter,
)
from civicdata.audit.actors import describe_actors
from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.export import witnessed_note
from civicdata.audit.keys import checkpoint_key
from civicdata.audit.queries import (
    csv_chunks,
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
from civicdata.audit.tree import prove_consistency
from civicdata.models import AuditCheckpoint, AuditEvent
from civicdata.oauth.protect import require_oauth
from civicdata.request_scope import current_platform, db_session
from civicdata.witness.client import cosignatures_of, latest_witnessed, parse_witnesses

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/audit",
    description="The signed audit log: entries, proofs, checkpoints (auditors, scope audit:read)",
)
SCOPE = "audit:read"
QUERY: dict[str, Any] = {"location": "query", "error_status_code": 400, "unknown": RAISE}
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _errors(*statuses: int) -> Any:
    """Document the problem+json answers of a route."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(
                status, schema=ProblemOut, content_type="application/problem+json"
            )(view)
        return view

    return decorate


@blp.route("/events")
@require_oauth(SCOPE)
@blp.arguments(EventListQuery, **QUERY)
@blp.response(200, EventPageOut)
@_errors(400, 401, 403)
def list_audit_events(args: dict[str, Any]) -> Any:
    """Entries matching every filter given, newest first; follow ``next`` for older ones."""
    session = db_session()
    where = search_actors(session, current_platform().keys.blind_index, event_filter(args))
    page = list_events(session, where, before=args.get("before"), limit=args["limit"])
    following = None
    if page.next_before is not None:
        query: dict[str, Any] = {**request.args.to_dict(), "before": page.next_before}
        following = url_for("audit.list_audit_events", **query)
    events = _with_actors([signed_view(event) for event in page.events])
    return {"events": events, "next_before": page.next_before, "next": following}


@blp.route("/lookup")
@require_oauth(SCOPE)
@blp.arguments(LookupQuery, **QUERY)
@blp.response(200, LookupOut)
@_errors(400, 401, 403)
def lookup_audit_events(args: dict[str, Any]) -> Any:
    """Entries by leaf hash, by release or reservation id (their resource), or by query hash."""
    return {
        "events": _with_actors([signed_view(e) for e in lookup_events(db_session(), args["q"])])
    }


def _with_actors(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each view with what the directory says about its actor."""
    known = describe_actors(db_session(), [view["actor"] for view in views])
    return [{**view, "actor_info": known[view["actor"]]} for view in views]


@blp.route("/events/export")
@require_oauth(SCOPE)
@blp.arguments(ExportQuery, **QUERY)
@blp.doc(
    responses={
        "200": {
            "description": "The filtered entries, newest first, as CSV or a JSON array",
            "content": {
                EXPORT_TYPES["csv"]: {"schema": {"type": "string"}},
                EXPORT_TYPES["json"]: {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    }
)
@_errors(400, 401, 403)
def export_audit_events(args: dict[str, Any]) -> Response:
    """Download the filtered view (same filters as the list, no paging) as CSV or JSON."""
    platform, kind = current_platform(), args["format"]
    where = search_actors(db_session(), platform.keys.blind_index, event_filter(args))
    sessions = platform.sessions

    def chunks() -> Any:
        with sessions() as session:
            events = iter_events(session, where)
            yield from (csv_chunks if kind == "csv" else json_chunks)(events)

    disposition = f'attachment; filename="audit-events.{kind}"'
    return Response(
        chunks(), content_type=EXPORT_TYPES[kind], headers={"Content-Disposition": disposition}
    )


@blp.route("/events/<int:index>")
@require_oauth(SCOPE)
@blp.response(200, EventDetailOut)
@_errors(401, 403, 404, 409)
def get_audit_event(index: int) -> Any:
    """One entry: its canonical text, leaf hash, signature and inclusion proof.

    The proof is against the latest signed checkpoint (signed now if it does not
    cover the entry yet); check it with RFC 9162 §2.1.3.2 and the checkpoint's
    signature with the public key from ``/audit/checkpoint``.
    """
    session = db_session()
    event = session.get(AuditEvent, index)
    if event is None:
        abort(404, description=f"no audit entry with index {index}")
    platform = current_platform()
    try:
        (proven,) = prove_events(session, platform.signing, platform.audit_origin, [event])
    except CheckpointError as exc:
        abort(409, description=f"the log cannot be proven: {exc}")
    stored = session.get(AuditCheckpoint, proven.checkpoint.size)
    return {
        "index": event.id,
        "entry": event.entry,
        "leaf_hash": event.leaf_hash,
        "signature": event.signature,
        "event": _with_actors([signed_view(event)])[0],
        "inclusion": {
            "checkpoint_size": proven.checkpoint.size,
            "root_hash": proven.checkpoint.root,
            "checkpoint": stored.note if stored else None,
            "proof": proven.proof,
            "verified": proven.verified,
        },
    }


@blp.route("/checkpoint")
@require_oauth(SCOPE)
@blp.response(200, CheckpointOut)
@_errors(401, 403, 409)
def get_checkpoint() -> Any:
    """The latest signed checkpoint (signed now if the log grew) and the public key to check it.

    ``witnessed`` is the latest checkpoint that witnesses cosigned (the scheduled
    ``civic audit checkpoint`` submits them), with each cosignature checked
    against the witness keys configured in ``CIVIC_WITNESSES``.
    """
    platform = current_platform()
    try:
        checkpoint = signed_checkpoint(db_session(), platform.signing, platform.audit_origin)
        history = platform.signing.history(refresh=True)
        key = checkpoint_key(checkpoint.note, platform.audit_origin, history)
    except CheckpointError as exc:
        abort(409, description=f"no checkpoint can be signed: {exc}")
    session = db_session()
    witnesses = parse_witnesses(platform.config.witnesses)
    witnessed = latest_witnessed(session)
    return {
        "origin": platform.audit_origin,
        "size": checkpoint.size,
        "root_hash": checkpoint.root_hash.hex(),
        "at": checkpoint.at,
        "note": checkpoint.note,
        "public_key_pem": key.public_key_pem,
        "witnessed": None
        if witnessed is None
        else {
            "size": witnessed.size,
            "root_hash": witnessed.root_hash,
            "note": witnessed_note(session, witnessed),
            "cosignatures": cosignatures_of(session, witnessed, witnesses),
        },
    }


@blp.route("/proofs/consistency")
@require_oauth(SCOPE)
@blp.arguments(ConsistencyQuery, **QUERY)
@blp.response(200, ConsistencyOut)
@_errors(400, 401, 403, 409)
def get_consistency_proof(args: dict[str, Any]) -> Any:
    """RFC 9162 proof that the tree of size ``first`` is a prefix of the tree of size ``second``.

    ``second`` may be at most the latest checkpoint's size, so both ends can be
    tied to signed roots; the stored checkpoints at either size are returned.
    """
    session = db_session()
    latest = session.scalar(select(AuditCheckpoint.size).order_by(AuditCheckpoint.size.desc()))
    latest_size = latest or 0
    first, second = args["first"], args.get("second", latest_size)
    if second > latest_size:
        _bad_query("second", f"beyond the latest checkpoint (size {latest_size})")
    if first > second:
        _bad_query("first", f"must not exceed second ({second})")
    try:
        proof = prove_consistency(session, first, second)
    except CheckpointError as exc:
        abort(409, description=f"the log cannot be proven: {exc}")
    notes = {
        cp.size: cp.note
        for cp in session.scalars(
            select(AuditCheckpoint).where(AuditCheckpoint.size.in_([first, second]))
        )
    }
    return {
        "first": first,
        "second": second,
        "proof": proof,
        "first_checkpoint": notes.get(first),
        "second_checkpoint": notes.get(second),
    }


@blp.route("/verification")
@require_oauth(SCOPE)
@blp.response(200, VerificationOut)
@_errors(401, 403)
def get_verification() -> Any:
    """Verify the stored log now, as ``civic audit verify`` would, and name the first bad entry.

    This runs on the server, with the server's own key history: it finds
    accidents and clumsy edits, and also compares the filterable columns with
    the signed entries and locates a fork among the stored checkpoints. Real
    assurance is the offline check, which an auditor runs on an export with the
    published key history and a checkpoint they kept: ``civic audit verify
    --export FILE --keys HISTORY --since-checkpoint CP [--witnesses K]``.
    """
    platform = current_platform()
    live = verify_live_log(db_session(), platform.signing, platform.audit_origin)
    return {
        "ok": live.result.ok,
        "size": live.result.size,
        "first_bad": live.result.first_bad,
        "problems": live.result.problems,
        "checkpoint": live.checkpoint.note if live.checkpoint else None,
    }


def _bad_query(parameter: str, message: str) -> NoReturn:
    """A 400 naming the query parameter, shaped like the schema's own errors."""
    error = BadRequest(description=f"Query parameter {parameter!r}: {message}.")
    error.data = {"messages": {"query": {parameter: [message]}}}  # type: ignore[attr-defined]
    raise error
