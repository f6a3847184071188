"""What an upload reports back: counts, every error with its line and field.

An upload's response is rendered once, stored with the ingestion and given
again, byte for byte, to a retry under the same ``Idempotency-Key``. Accepted
uploads answer 201 with the report; a rejected one (nothing stored) answers
problem+json (RFC 9457): 400 when the body could not be read as records, 422
when records were invalid, with the errors at the top and the upload's
counts under ``ingestion``. Reports hold line numbers, field names and
messages about values' form, never the values themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from civicdata.audit.log import iso_utc
from civicdata.errors import PROBLEM_JSON

JSON = "application/json"
COMPLETED, PARTIAL, REJECTED = "completed", "partial", "rejected"


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why one line (or, for a single record, the record) was refused."""

    line: int | None
    field: str | None
    message: str

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.line is None else {"line": self.line}
        if self.field is not None:
            out["field"] = self.field
        out["message"] = self.message
        return out


@dataclass
class Outcome:
    """Counts and errors of one upload, as its processing ends."""

    id: str
    dataset: str
    format: str
    mode: str
    created_at: datetime
    status: str = COMPLETED
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    malformed: bool = False
    errors_truncated: bool = False
    errors: list[RecordError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The exact response of an upload, replayed to retries."""

    ingestion_id: str
    status: int
    content_type: str
    body: bytes


def _error(error: RecordError, format: str) -> dict[str, Any]:
    document = error.document()
    if format == "record":  # a single record has no lines to number
        document.pop("line", None)
    return document


def _document(outcome: Outcome) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "dataset": outcome.dataset,
        "format": outcome.format,
        "mode": outcome.mode,
        "status": outcome.status,
        "received": outcome.received,
        "stored": outcome.stored,
        "duplicates": outcome.duplicates,
        "rejected": outcome.rejected,
        "created_at": iso_utc(outcome.created_at),
        "errors": [_error(error, outcome.format) for error in outcome.errors],
        "errors_truncated": outcome.errors_truncated,
    }


def render(outcome: Outcome) -> StoredResponse:
    """The response to store and send for ``outcome``."""
    document = _document(outcome)
    if outcome.status != REJECTED:
        return StoredResponse(outcome.id, 201, JSON, _bytes(document))
    status = 400 if outcome.malformed else 422
    errors, truncated = document.pop("errors"), document.pop("errors_truncated")
    problem = {
        "type": "about:blank",
        "title": "Bad Request" if status == 400 else "Unprocessable Content",
        "status": status,
        "detail": _detail(outcome),
        "errors": errors,
        "errors_truncated": truncated,
        "ingestion": document,
    }
    return StoredResponse(outcome.id, status, PROBLEM_JSON, _bytes(problem))


def _detail(outcome: Outcome) -> str:
    if outcome.malformed:
        return "The body could not be read as records; nothing was stored."
    at_least = "at least " if outcome.errors_truncated else ""
    return f"{at_least}{outcome.rejected} record(s) are invalid; nothing was stored."


def _bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
