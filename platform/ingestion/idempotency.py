"""``Idempotency-Key``: a retried upload gets the first answer, not a second upload.

A source names each upload with a key of its choosing, unique per client.
The platform stores the key with a hash of the request (dataset, format, mode
and every byte of the body) and the exact response. A retry with the same key
and the same request gets that response again, byte for byte; the same key
with another request is refused (:class:`IdempotencyConflict`), since
answering it with the first upload's response would be a lie.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.ingestion.report import StoredResponse
from civicdata.models import Ingestion

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


class InvalidIdempotencyKey(ValueError):
    """The header is missing where required, or not 1-255 visible ASCII characters."""


class IdempotencyConflict(Exception):
    """The key was already used by this client for a different request."""

    def __init__(self, ingestion_id: str) -> None:
        self.ingestion_id = ingestion_id
        super().__init__(f"{HEADER} already used for a different request ({ingestion_id})")


def checked_key(value: str | None, *, required: bool) -> str | None:
    """The header's value if well formed; ``None`` when absent and optional."""
    if value is None or value == "":
        if required:
            raise InvalidIdempotencyKey(f"the {HEADER} header is required for bulk uploads")
        return None
    if KEY_PATTERN.fullmatch(value) is None:
        raise InvalidIdempotencyKey(f"{HEADER} must be 1 to 255 visible ASCII characters")
    return value


def request_prefix(dataset: str, format: str, mode: str) -> bytes:
    """What the request hash covers before the body: the upload's target and options."""
    return f"civic-ingest/v1\x00{dataset}\x00{format}\x00{mode}\x00".encode()


def prior_upload(session: Session, client_id: str, key: str) -> Ingestion | None:
    return session.scalar(
        select(Ingestion).where(Ingestion.client_id == client_id, Ingestion.idempotency_key == key)
    )


def replay(prior: Ingestion, request_hash: bytes) -> StoredResponse:
    """The stored response of ``prior`` if this is the same request."""
    if bytes(prior.request_hash) != request_hash:
        raise IdempotencyConflict(prior.id)
    return StoredResponse(
        prior.id, prior.response_status, prior.response_type, bytes(prior.response_body)
    )
