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
from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.entries import (
    EXPORT_TYPES,
    NoSuchEntry,
    ProofRangeError,
    browse,
    consistency_between,
    entry_with_proof,
    export_events,
    look_up,
)
from civicdata.audit.export import witnessed_note
from civicdata.audit.keys import checkpoint_key
from civicdata.audit.queries import signed_checkpoint, verify_live_log
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
    platform = current_platform()
    page = browse(
        db_session(),
        platform.keys.blind_index,
        event_filter(args),
        before=args.get("before"),
        limit=args["limit"],
    )
    following = None
    if page.next_before is not None:
        query: dict[str, Any] = {**request.args.to_dict(), "before": page.next_before}
        following = url_for("audit.list_audit_events", **query)
    return {"events": page.entries, "next_before": page.next_before, "next": following}


@blp.route("/lookup")
@require_oauth(SCOPE)
@blp.arguments(LookupQuery, **QUERY)
@blp.response(200, LookupOut)
@_errors(400, 401, 403)
def lookup_audit_events(args: dict[str, Any]) -> Any:
    """Entries by leaf hash, by release or reservation id (their resource), or by query hash."""
    return {"events": look_up(db_session(), args["q"])}


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
    platform = current_platform()
    export = export_events(
        db_session(),
        platform.keys.blind_index,
        platform.sessions,
        event_filter(args),
        args["format"],
    )
    disposition = f'attachment; filename="{export.filename}"'
    return Response(
        export.chunks, content_type=export.media_type, headers={"Content-Disposition": disposition}
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
    platform = current_platform()
    try:
        found = entry_with_proof(db_session(), platform.signing, platform.audit_origin, index)
    except NoSuchEntry:
        abort(404, description=f"no audit entry with index {index}")
    if found.proven is None:
        abort(409, description=f"the log cannot be proven: {found.problem}")
    event, proven = found.event, found.proven
    return {
        "index": event.id,
        "entry": event.entry,
        "leaf_hash": event.leaf_hash,
        "signature": event.signature,
        "event": found.signed,
        "inclusion": {
            "checkpoint_size": proven.checkpoint.size,
            "root_hash": proven.checkpoint.root,
            "checkpoint": found.checkpoint_note,
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
    try:
        proven = consistency_between(db_session(), args["first"], args.get("second"))
    except ProofRangeError as exc:
        _bad_query(exc.field, exc.message)
    except CheckpointError as exc:
        abort(409, description=f"the log cannot be proven: {exc}")
    return {
        "first": proven.first,
        "second": proven.second,
        "proof": proven.proof,
        "first_checkpoint": proven.first_checkpoint,
        "second_checkpoint": proven.second_checkpoint,
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
