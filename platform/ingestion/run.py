"""One upload's processing, batch by batch: validate, deduplicate, resolve, queue.

For each batch :class:`UploadRun` validates the records (columnar checks, the
schema for doubtful rows), skips records whose source id is already stored
(an earlier upload, or earlier in this one), resolves each citizen by the
blind index, records the new source-id digests and queues the rows for
sealing. Everything happens in the caller's transaction.

All-or-nothing (``strict``) mode writes nothing once any record failed: it
keeps validating to list the first :data:`MAX_ERRORS` errors and then only
counts lines; the caller rolls the transaction back. ``partial`` mode stores
every valid record and reports every rejected line.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from civicdata.ingestion.columns import BatchValidator, CheckedBatch
from civicdata.ingestion.readers import Batch
from civicdata.ingestion.report import RecordError
from civicdata.ingestion.source_ids import SourceIds
from civicdata.ingestion.subjects import SubjectResolver
from civicdata.ingestion.writer import BlockBuffer
from civicdata.vault import Vault
from civicdata.vault.blind_index import BlindIndex
from policies.catalog import DatasetSpec

MAX_ERRORS = 100
STRICT, PARTIAL = "strict", "partial"
MODES = (STRICT, PARTIAL)


class UploadRun:
    """The state of one upload: counts, errors, the subject cache and the block buffer."""

    def __init__(
        self,
        session: Session,
        vault: Vault,
        index: BlindIndex,
        spec: DatasetSpec,
        *,
        client_id: str,
        ingestion_id: str,
        mode: str,
        textual: bool,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.session = session
        self.strict = mode == STRICT
        self.ingestion_id = ingestion_id
        self.validator = BatchValidator(spec, textual=textual)
        self.subjects = SubjectResolver(session, vault, index, spec)
        self.source_ids = SourceIds(index, client_id, spec.id)
        self.buffer = BlockBuffer(session, vault, spec)
        self.received = self.stored = self.duplicates = self.rejected = 0
        self.malformed_lines = 0
        self.unreadable = False
        self.errors: list[RecordError] = []
        self.errors_truncated = False

    @property
    def failed(self) -> bool:
        """Nothing of this upload will be stored: an unreadable body, or any error if strict."""
        return self.unreadable or (self.strict and self.rejected > 0)

    def abort(self, error: RecordError) -> None:
        """The body cannot be read on (in any mode): the upload is rejected with ``error``."""
        self.unreadable = True
        self.errors.append(error)

    def feed(self, batch: Batch) -> None:
        """Process one batch of parsed lines."""
        self.received += len(batch)
        if self.failed and len(self.errors) >= MAX_ERRORS:
            self.errors_truncated = True
            return
        found = [RecordError(line, None, message) for line, message in batch.malformed]
        checked = self.validator.check(batch.records)
        for position, problems in checked.errors.items():
            line = batch.lines[position]
            found.extend(RecordError(line, name, message) for name, message in problems)
        self.malformed_lines += len(batch.malformed)
        self.rejected += len(batch.malformed) + len(checked.errors)
        if not self.failed:
            found.extend(self._store(batch, checked))
        found.sort(key=lambda error: error.line or 0)
        self._report(found)

    def _report(self, found: list[RecordError]) -> None:
        if self.strict and len(self.errors) + len(found) > MAX_ERRORS:
            found = found[: MAX_ERRORS - len(self.errors)]
            self.errors_truncated = True
        self.errors.extend(found)

    def _store(self, batch: Batch, checked: CheckedBatch) -> list[RecordError]:
        """Store the batch's valid, new records; the errors of unknown citizens."""
        valid = checked.valid_positions().tolist()
        digests = self.source_ids.digests([checked.source_ids[i] for i in valid])
        connection = self.session.connection()
        seen = SourceIds.stored(connection, list(set(digests)))
        fresh = [(i, d) for i, d in zip(valid, digests, strict=True) if d not in seen]
        self.duplicates += len(valid) - len(fresh)
        citizens = self.subjects.resolve([checked.references[i] for i, _ in fresh])
        kind = self.subjects.kind
        errors: list[RecordError] = []
        keep: list[int] = []
        owners: list[str] = []
        new_digests: list[bytes] = []
        for (position, digest), citizen in zip(fresh, citizens, strict=True):
            if citizen is None:
                errors.append(
                    RecordError(batch.lines[position], kind, f"No citizen has this {kind}.")
                )
            elif digest in seen:  # the same source id earlier in this batch
                self.duplicates += 1
            else:
                seen.add(digest)
                keep.append(position)
                owners.append(citizen)
                new_digests.append(digest)
        self.rejected += len(errors)
        if self.failed:
            return errors
        SourceIds.insert(connection, new_digests, self.ingestion_id)
        self.buffer.add(owners, checked.rows[np.asarray(keep, dtype=np.intp)])
        self.stored += len(keep)
        return errors

    def finish(self) -> None:
        """Seal what is still queued (not when strict mode failed: it is rolled back)."""
        if not self.failed:
            self.buffer.flush()
