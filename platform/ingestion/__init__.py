"""Ingestion: data sources push citizens' records, validated, encrypted on arrival, once.

:func:`ingest` takes an :class:`Upload` (who, which dataset, format, mode,
``Idempotency-Key``) and a body stream, and returns the response to give
(:class:`StoredResponse`), stored with the upload so that a retry gets it again.
See :mod:`.service` for the transaction, :mod:`.run` for the per-batch steps,
:mod:`.columns` and :mod:`.schema` for validation, :mod:`.writer` for sealing.
"""

from civicdata.ingestion.history import upload_of, uploads_of
from civicdata.ingestion.idempotency import (
    HEADER,
    IdempotencyConflict,
    InvalidIdempotencyKey,
    checked_key,
)
from civicdata.ingestion.readers import UploadTooLarge
from civicdata.ingestion.report import StoredResponse
from civicdata.ingestion.run import MODES, PARTIAL, STRICT
from civicdata.ingestion.service import CSV, NDJSON, RECORD, ConcurrentUpload, Upload, ingest

__all__ = [
    "CSV",
    "HEADER",
    "MODES",
    "NDJSON",
    "PARTIAL",
    "RECORD",
    "STRICT",
    "ConcurrentUpload",
    "IdempotencyConflict",
    "InvalidIdempotencyKey",
    "StoredResponse",
    "Upload",
    "UploadTooLarge",
    "checked_key",
    "ingest",
    "upload_of",
    "uploads_of",
]
