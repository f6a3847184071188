"""The ingestion API: sources push records, one at a time or in bulk, idempotently.

* ``POST /api/v1/datasets/<dataset>/records``: one record (``application/json``);
  ``Idempotency-Key`` optional.
* ``POST /api/v1/datasets/<dataset>/records/bulk``: NDJSON
  (``application/x-ndjson``) or CSV (``text/csv``) streamed, of any size up to
  ``CIVIC_MAX_UPLOAD_MB``; ``Idempotency-Key`` required; ``?mode=partial``
  stores the valid records and reports every rejected line.
* ``GET /api/v1/ingestions`` and ``GET /api/v1/ingestions/<id>``: the source's
  own uploads (another client's are 404).

Source clients only, with the scope ``ingest:<dataset>`` for uploads. The
routes parse and authorise; :func:`civicdata.ingestion.ingest` does the rest.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request
from flask_smorest import Blueprint

from civicdata.api.ingestion_schemas import (
    BulkArgs,
    IngestionOut,
    ListArgs,
    UploadReportOut,
)
from civicdata.errors import problem
from civicdata.identity.audit_trail import client_actor
from civicdata.ingestion import (
    CSV,
    HEADER,
    NDJSON,
    RECORD,
    STRICT,
    ConcurrentUpload,
    IdempotencyConflict,
    InvalidIdempotencyKey,
    StoredResponse,
    Upload,
    UploadTooLarge,
    checked_key,
    ingest,
    upload_of,
    uploads_of,
)
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.request_scope import current_platform, db_session
from policies.catalog import DatasetSpec

blp = Blueprint(
    "ingestion", __name__, description="Data sources push records (scope ingest:<dataset>)"
)

SOURCE = ("source",)
BULK_TYPES = {"application/x-ndjson": NDJSON, "application/ndjson": NDJSON, "text/csv": CSV}
REPORT_DOC = {"description": "The upload's report", "content": {"application/json": {}}}
ERRORS_DOC = {
    "400": {"description": "Malformed body or missing Idempotency-Key (problem+json)"},
    "404": {"description": "Unknown dataset"},
    "409": {"description": "A concurrent upload stored some of the same records; retry"},
    "413": {"description": "Body larger than the configured maximum"},
    "415": {"description": "Unsupported Content-Type"},
    "422": {"description": "Invalid records (nothing stored) or Idempotency-Key reused"},
}


def _dataset(dataset: str) -> DatasetSpec:
    spec = current_platform().catalog.datasets.get(dataset)
    if spec is None:
        abort(problem(404, "Not Found", f"No dataset {dataset!r} in the catalog."))
    return spec


def _key(required: bool) -> str | None:
    try:
        return checked_key(request.headers.get(HEADER), required=required)
    except InvalidIdempotencyKey as exc:
        abort(
            problem(400, "Bad Request", str(exc), errors=[{"field": HEADER, "message": str(exc)}])
        )


def _unsupported(expected: str) -> Response:
    message = f"Content-Type {request.mimetype or '(none)'!r} is not accepted: send {expected}."
    return problem(
        415,
        "Unsupported Media Type",
        message,
        errors=[{"field": "Content-Type", "message": message}],
    )


def _upload(spec: DatasetSpec, format: str, mode: str, key: str | None) -> Response:
    """Run the upload and send its (possibly replayed) response."""
    grant = current_grant()
    upload = Upload(grant.client_id, client_actor(grant.client_id), spec, format, mode, key)
    try:
        stored = ingest(
            current_platform(), upload, request.stream, declared_length=request.content_length
        )
    except UploadTooLarge as exc:
        return problem(413, "Content Too Large", f"The body exceeds {exc.limit} bytes.")
    except IdempotencyConflict as exc:
        detail = f"{HEADER} was already used for a different request ({exc.ingestion_id})."
        return problem(
            422, "Unprocessable Content", detail, errors=[{"field": HEADER, "message": detail}]
        )
    except ConcurrentUpload as exc:
        return problem(409, "Conflict", str(exc))
    return _send(stored)


def _send(stored: StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status, content_type=stored.content_type)
    response.headers["Location"] = f"/api/v1/ingestions/{stored.ingestion_id}"
    return response


@blp.route("/datasets/<dataset>/records", methods=["POST"])
@require_oauth(roles=SOURCE)
@blp.doc(
    requestBody={
        "description": "One record: source_id, the subject reference and the catalog fields",
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    responses={"201": REPORT_DOC, **ERRORS_DOC},
)
@blp.response(201, UploadReportOut)
def ingest_record(dataset: str) -> Any:
    """Store one record of DATASET for the citizen it names (idempotent by source_id)."""
    spec = _dataset(dataset)
    current_grant().require_scope(f"ingest:{dataset}")
    if request.mimetype != "application/json":
        return _unsupported("application/json")
    return _upload(spec, RECORD, STRICT, _key(required=False))


@blp.route("/datasets/<dataset>/records/bulk", methods=["POST"])
@require_oauth(roles=SOURCE)
@blp.arguments(BulkArgs, location="query", as_kwargs=True)
@blp.doc(
    parameters=[{"in": "header", "name": HEADER, "required": True, "schema": {"type": "string"}}],
    requestBody={
        "description": "Records as NDJSON (one JSON object a line) or CSV with a header line",
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    responses={"201": REPORT_DOC, **ERRORS_DOC},
)
@blp.response(201, UploadReportOut)
def ingest_bulk(dataset: str, mode: str) -> Any:
    """Stream many records of DATASET; all or nothing unless ``mode=partial``."""
    spec = _dataset(dataset)
    current_grant().require_scope(f"ingest:{dataset}")
    format = BULK_TYPES.get(request.mimetype)
    if format is None:
        return _unsupported("application/x-ndjson or text/csv")
    return _upload(spec, format, mode, _key(required=True))


@blp.route("/ingestions", methods=["GET"])
@require_oauth(roles=SOURCE)
@blp.arguments(ListArgs, location="query", as_kwargs=True)
@blp.response(200, IngestionOut(many=True))
def list_ingestions(limit: int, dataset: str | None = None) -> Any:
    """The calling source's uploads, newest first."""
    return uploads_of(db_session(), current_grant().client_id, dataset=dataset, limit=limit)


@blp.route("/ingestions/<ingestion_id>", methods=["GET"])
@require_oauth(roles=SOURCE)
@blp.response(200, IngestionOut)
def get_ingestion(ingestion_id: str) -> Any:
    """Status and counts of one of the calling source's uploads."""
    found = upload_of(db_session(), current_grant().client_id, ingestion_id)
    if found is None:
        abort(problem(404, "Not Found", f"No upload {ingestion_id!r} of yours."))
    return found
