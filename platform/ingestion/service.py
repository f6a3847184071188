"""Ingesting an upload: one transaction from the first byte to the audit entry.

:func:`ingest` is what the API routes and ``civic ingest`` call. It answers a
retried ``Idempotency-Key`` with the stored response; otherwise it streams the
body through an :class:`~civicdata.ingestion.run.UploadRun` and then, in the
same transaction, writes the sealed blocks, the source-id digests, the
ingestion row (with the response it is about to give) and the audit entry,
and commits them together. A large upload also refreshes the planner
statistics of the tables it grew, in the same transaction. A crash at any point before the commit leaves
nothing; a rejected upload stores no record, only its ingestion row and audit
entry saying so.

Refusals that end an upload without an answer to store (too large, a reused
key, a concurrent upload of the same records) raise, after an audit entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdata import telemetry
from civicdata.audit import record_event, record_event_committed
from civicdata.context import Platform
from civicdata.db import Base, utcnow
from civicdata.ingestion.idempotency import (
    IdempotencyConflict,
    prior_upload,
    replay,
    request_prefix,
)
from civicdata.ingestion.readers import (
    Batch,
    CountingBody,
    MalformedBody,
    UploadTooLarge,
    csv_batches,
    ndjson_batches,
    record_batches,
)
from civicdata.ingestion.report import (
    COMPLETED,
    PARTIAL,
    REJECTED,
    Outcome,
    RecordError,
    StoredResponse,
    render,
)
from civicdata.ingestion.run import STRICT, UploadRun
from civicdata.ingestion.schema import reserved_names
from civicdata.models import (
    Citizen,
    CitizenKey,
    CitizenLookup,
    Ingestion,
    RecordBlock,
    SourceRecord,
)
from consent.planner import refresh_after_load
from policies.catalog import DatasetSpec

RECORD, NDJSON, CSV = "record", "ndjson", "csv"
ACTION = "records.ingest"
MIB = 1 << 20


class ConcurrentUpload(Exception):
    """Another upload stored some of the same records (or subjects) at the same moment."""


@dataclass(frozen=True, slots=True)
class Upload:
    """Who uploads what where: the source, the dataset, the body's format and the mode."""

    client_id: str
    actor: str
    dataset: DatasetSpec
    format: str
    mode: str = STRICT
    idempotency_key: str | None = None


def new_ingestion_id() -> str:
    return "ing-" + secrets.token_hex(10)


def ingest(
    platform: Platform,
    upload: Upload,
    stream: IO[bytes],
    *,
    declared_length: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> StoredResponse:
    """Store ``stream``'s records (or replay the stored answer); the response to give.

    A ``declared_length`` (Content-Length) over the limit is refused before
    reading; ``progress`` is called with the number of body bytes read so far.
    """
    limit = platform.config.max_upload_mb * MIB
    prefix = request_prefix(upload.dataset.id, upload.format, upload.mode)
    body = CountingBody(stream, limit, prefix)
    try:
        if declared_length is not None and declared_length > limit:
            raise UploadTooLarge(limit)
        with platform.sessions() as session:
            return _ingest(platform, session, upload, body, progress)
    except (UploadTooLarge, IdempotencyConflict, ConcurrentUpload) as exc:
        record_event_committed(
            platform.sessions,
            actor=upload.actor,
            action=ACTION,
            resource=f"dataset:{upload.dataset.id}",
            decision="refused",
            dataset=upload.dataset.id,
            reason=type(exc).__name__,
            idempotency_key=upload.idempotency_key,
        )
        raise


def _batches(upload: Upload, body: CountingBody) -> Iterator[Batch]:
    if upload.format == NDJSON:
        return ndjson_batches(body)
    if upload.format == CSV:
        expected = [*reserved_names(upload.dataset), *upload.dataset.fields]
        return csv_batches(body, expected)
    if upload.format == RECORD:
        return record_batches(body)
    raise ValueError(f"unknown upload format {upload.format!r}")


def _ingest(
    platform: Platform,
    session: Session,
    upload: Upload,
    body: CountingBody,
    progress: Callable[[int], None] | None,
) -> StoredResponse:
    key = upload.idempotency_key
    if key is not None:
        prior = prior_upload(session, upload.client_id, key)
        if prior is not None:
            body.drain()
            return replay(prior, body.digest())
    outcome = Outcome(
        id=new_ingestion_id(),
        dataset=upload.dataset.id,
        format=upload.format,
        mode=upload.mode,
        created_at=utcnow(),
    )
    run = UploadRun(
        session,
        platform.vault,
        platform.keys.blind_index,
        upload.dataset,
        client_id=upload.client_id,
        ingestion_id=outcome.id,
        mode=upload.mode,
        textual=upload.format == CSV,
    )
    try:
        _read(run, upload, body, progress)
        run.finish()
        _conclude(session, run, outcome)
        if not run.failed:
            _refresh_statistics(session, run)
        response = render(outcome)
        session.add(_ingestion_row(upload, outcome, body.digest(), response))
        _audit(session, upload, outcome)
        session.commit()
    except IntegrityError:
        session.rollback()
        return _after_race(session, upload, body)
    telemetry.ingestion_finished(
        outcome.dataset,
        outcome.id,
        outcome.status,
        stored=outcome.stored,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
    )
    return response


def _read(
    run: UploadRun,
    upload: Upload,
    body: CountingBody,
    progress: Callable[[int], None] | None,
) -> None:
    """Feed every batch of the body to ``run``; then read (hash) whatever is left."""
    try:
        for batch in _batches(upload, body):
            run.feed(batch)
            if progress is not None:
                progress(body.size)
    except MalformedBody as exc:
        run.abort(RecordError(exc.line, exc.field, exc.message))
    body.drain()
    if progress is not None:
        progress(body.size)
    if run.received == 0 and not run.unreadable:
        run.abort(RecordError(None, None, "The body holds no records."))


def _conclude(session: Session, run: UploadRun, outcome: Outcome) -> None:
    """Fill in the outcome; a rejected upload's writes are rolled back."""
    outcome.received = run.received
    outcome.rejected = run.rejected
    outcome.errors = run.errors
    outcome.errors_truncated = run.errors_truncated
    outcome.malformed = run.unreadable or run.malformed_lines > 0
    if run.failed:
        session.rollback()
        outcome.status = REJECTED
        return
    outcome.status = PARTIAL if run.rejected else COMPLETED
    outcome.stored = run.stored
    outcome.duplicates = run.duplicates


def _refresh_statistics(session: Session, run: UploadRun) -> None:
    """Analyse the tables a large upload grew, before its commit (see :mod:`consent.planner`).

    Without it PostgreSQL plans the next releases from statistics taken when
    the tables were much smaller (the API never runs ``ANALYZE`` otherwise).
    """
    created = run.subjects.created
    refresh_after_load(
        session,
        {
            _table(RecordBlock): run.buffer.blocks,
            _table(SourceRecord): run.stored,
            _table(Citizen): created,
            _table(CitizenKey): created,
            _table(CitizenLookup): created,
        },
    )


def _table(model: type[Base]) -> Table:
    return model.__table__


def _ingestion_row(
    upload: Upload, outcome: Outcome, request_hash: bytes, response: StoredResponse
) -> Ingestion:
    return Ingestion(
        id=outcome.id,
        client_id=upload.client_id,
        dataset=outcome.dataset,
        format=outcome.format,
        mode=outcome.mode,
        idempotency_key=upload.idempotency_key,
        request_hash=request_hash,
        status=outcome.status,
        received=outcome.received,
        stored=outcome.stored,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
        response_status=response.status,
        response_type=response.content_type,
        response_body=response.body,
        created_at=outcome.created_at,
    )


def _audit(session: Session, upload: Upload, outcome: Outcome) -> None:
    record_event(
        session,
        actor=upload.actor,
        action=ACTION,
        resource=f"ingestion:{outcome.id}",
        decision="rejected" if outcome.status == REJECTED else "ok",
        dataset=outcome.dataset,
        ingestion=outcome.id,
        format=outcome.format,
        mode=outcome.mode,
        received=outcome.received,
        stored=outcome.stored,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
        idempotency_key=upload.idempotency_key,
    )


def _after_race(session: Session, upload: Upload, body: CountingBody) -> StoredResponse:
    """A unique constraint fired: the same key (replay it) or the same records (refuse)."""
    body.drain()
    if upload.idempotency_key is not None:
        prior = prior_upload(session, upload.client_id, upload.idempotency_key)
        if prior is not None:
            return replay(prior, body.digest())
    raise ConcurrentUpload(
        "another upload stored some of these records at the same time; retry this upload"
    )
