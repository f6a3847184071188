"""Reading the audit log for the auditor's and the citizen's views.

Filtered pages come newest first with keyset pagination (``before`` an entry
index), so a page stays stable while the log grows. The filtered view can be
exported as CSV or JSON. Entries are shown with their inclusion proofs,
recomputed here and verified with the RFC 9162 verifier against the latest
signed checkpoint (signed on demand when it does not cover them yet). This
module never appends entries.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicdata.audit.actors import actors_matching
from civicdata.audit.checkpoints import Checkpoint, CheckpointError
from civicdata.audit.columns import COLUMNS, EntryTextError, columns_of, mismatched_columns
from civicdata.audit.export import export_lines
from civicdata.audit.keys import entry_key, open_signed_checkpoint
from civicdata.audit.log import entry_signing_input, iso_utc
from civicdata.audit.merkle import inclusion_proof, leaf_hash, verify_inclusion
from civicdata.audit.stored import check_stored_log
from civicdata.audit.tree import latest_checkpoint, leaf_hashes, make_checkpoint
from civicdata.audit.verify import Verification, verify_export
from civicdata.models import AuditCheckpoint, AuditEvent
from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError
from civicdata.signing.store import SigningKeys
from civicdata.vault.blind_index import BlindIndex

TEXT_FILTERS = ("actor", "action", "decision", "department", "dataset", "purpose")
EXPORT_COLUMNS = (
    "index",
    "at",
    "actor",
    "action",
    "resource",
    "decision",
    "subject",
    "department",
    "dataset",
    "purpose",
    "details",
    "leaf_hash",
)
SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What an auditor asked to see: a time range (``since`` inclusive, ``until``
    exclusive) and exact values of the indexed columns; ``None`` means any."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    decision: str | None = None
    department: str | None = None
    dataset: str | None = None
    purpose: str | None = None
    actors: tuple[str, ...] = ()  # the ids an actor search resolved to (see actors.py)

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(AuditEvent.at >= self.since)
        if self.until is not None:
            where.append(AuditEvent.at < self.until)
        for name in TEXT_FILTERS:
            value = getattr(self, name)
            if name == "actor" and self.actors:
                where.append(AuditEvent.actor.in_(self.actors))
            elif value is not None:
                where.append(getattr(AuditEvent, name) == value)
        return where


def search_actors(session: Session, index: BlindIndex, where: EventFilter) -> EventFilter:
    """The filter with its actor widened to the ids a client name or staff email means."""
    if where.actor is None:
        return where
    return replace(where, actors=actors_matching(session, index, where.actor))


LEAF_HASH_HEX = 64


def lookup_events(session: Session, term: str, limit: int = 50) -> list[AuditEvent]:
    """Entries an auditor's lookup means: by leaf hash, by resource (a release or
    reservation id), or by the query hash of a release request; newest first."""
    term = term.strip()
    found: list[ColumnElement[bool]] = [
        AuditEvent.resource == term,
        AuditEvent.details["query_hash"].as_string() == term,
    ]
    if len(term) == LEAF_HASH_HEX and all(c in "0123456789abcdefABCDEF" for c in term):
        found.append(AuditEvent.leaf_hash == bytes.fromhex(term))
    query = select(AuditEvent).where(or_(*found)).order_by(AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page, newest first; ``next_before`` continues with older entries."""

    events: list[AuditEvent]
    next_before: int | None


def list_events(
    session: Session, where: EventFilter, *, before: int | None = None, limit: int = 50
) -> EventPage:
    """The entries matching ``where`` with an index below ``before``, newest first."""
    return _page(session, where.conditions(), before, limit)


def events_about(
    session: Session, pseudonym: str, *, before: int | None = None, limit: int = 50
) -> EventPage:
    """The entries about one citizen: those naming them as subject or as actor."""
    about = or_(AuditEvent.subject == pseudonym, AuditEvent.actor == pseudonym)
    return _page(session, [about], before, limit)


def _page(
    session: Session, where: list[ColumnElement[bool]], before: int | None, limit: int
) -> EventPage:
    query = select(AuditEvent).where(*where)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    events = rows[:limit]
    return EventPage(events, events[-1].id if more else None)


def decisions_seen(session: Session) -> list[str]:
    """Every distinct decision in the log, for the filter form."""
    return list(session.scalars(select(AuditEvent.decision).distinct().order_by("decision")))


def iter_events(session: Session, where: EventFilter) -> Iterator[AuditEvent]:
    """Every entry matching ``where``, newest first, streamed from the database."""
    query = (
        select(AuditEvent)
        .where(*where.conditions())
        .order_by(AuditEvent.id.desc())
        .execution_options(yield_per=1000)
    )
    yield from session.scalars(query)


def signed_view(event: AuditEvent) -> dict[str, Any]:
    """What an auditor reads about an entry: the values of its signed text, not its columns.

    ``columns_verified`` says whether the stored columns (what filters match on)
    agree with that text; if not, the entry was relabelled in the database.
    """
    try:
        values = columns_of(event.entry)
    except EntryTextError:
        values = {name: getattr(event, name) for name in COLUMNS}
    return {
        "index": event.id,
        **values,
        "leaf_hash": event.leaf_hash,
        "columns_verified": not mismatched_columns(event),
    }


def event_record(event: AuditEvent) -> dict[str, Any]:
    """An entry's signed values as plain values, in the export's column order."""
    view = signed_view(event)
    record = {name: view[name] for name in EXPORT_COLUMNS}
    record["at"] = iso_utc(view["at"])
    record["leaf_hash"] = view["leaf_hash"].hex()
    return record


def csv_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The entries as CSV (header first); details as JSON; formula-like cells quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for event in events:
        record = event_record(event)
        record["details"] = json.dumps(record["details"], sort_keys=True, ensure_ascii=False)
        writer.writerow(_cell(record[column]) for column in EXPORT_COLUMNS)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(SPREADSHEET_FORMULA_STARTS):
        return "'" + value
    return value


def json_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The entries as one JSON array, written entry by entry."""
    yield "["
    for i, event in enumerate(events):
        yield ("," if i else "") + "\n" + json.dumps(event_record(event), ensure_ascii=False)
    yield "\n]\n"


def signed_checkpoint(
    session: Session, keys: SigningKeys, origin: str, covering: int | None = None
) -> AuditCheckpoint:
    """The latest checkpoint, signing a new one first if the log grew.

    With ``covering`` an index, an existing checkpoint that already covers it is
    kept (no new checkpoint per page view). Commits the session. A concurrent
    request signing the same size first is not an error: its checkpoint is used.
    Raises :class:`~civicdata.audit.checkpoints.CheckpointError` if the stored
    log no longer extends the latest checkpoint.
    """
    latest = latest_checkpoint(session)
    if latest is not None and covering is not None and covering < latest.size:
        return latest
    try:
        checkpoint = make_checkpoint(session, keys.current("audit").ed25519, origin)
        session.commit()
    except IntegrityError:
        session.rollback()
        concurrent = latest_checkpoint(session)
        if concurrent is None:
            raise
        return concurrent
    return checkpoint


@dataclass(frozen=True, slots=True)
class ProvenEvent:
    """An entry with its audit path and what was checked about it."""

    event: AuditEvent
    checkpoint: Checkpoint
    proof: list[bytes]
    leaf_matches: bool  # its text hashes to its stored leaf hash
    signature_valid: bool  # its Ed25519 signature over index and leaf hash holds
    included: bool  # RFC 9162 verification of the path up to the signed root
    altered_columns: list[str]  # stored filter columns that disagree with the signed text

    @property
    def verified(self) -> bool:
        return (
            self.leaf_matches
            and self.signature_valid
            and self.included
            and not self.altered_columns
        )


def prove_events(
    session: Session, keys: SigningKeys, origin: str, events: Sequence[AuditEvent]
) -> list[ProvenEvent]:
    """Prove and verify each entry's inclusion in the latest signed checkpoint.

    The checkpoint's signature is checked with the audit key it names before its root is
    trusted; the leaf is recomputed from the entry's text, so an edited entry
    fails even if its stored hash was left alone. Raises ``CheckpointError`` if
    the checkpoint's signature is wrong or the stored log has a gap below it.
    """
    if not events:
        return []
    stored = signed_checkpoint(session, keys, origin, covering=max(e.id for e in events))
    history = keys.history(refresh=True)
    checkpoint = open_signed_checkpoint(stored.note, origin, history)
    leaves = leaf_hashes(session, checkpoint.size)
    proven = []
    for event in events:
        leaf = leaf_hash(event.entry.encode("utf-8"))
        proof = inclusion_proof(event.id, leaves)
        proven.append(
            ProvenEvent(
                event=event,
                checkpoint=checkpoint,
                proof=proof,
                leaf_matches=leaf == event.leaf_hash,
                signature_valid=_signed(history, event),
                included=verify_inclusion(event.id, checkpoint.size, leaf, proof, checkpoint.root),
                altered_columns=mismatched_columns(event),
            )
        )
    return proven


def _signed(history: KeyHistory, event: AuditEvent) -> bool:
    try:
        public_key = entry_key(history, event.entry)
        public_key.verify(event.signature, entry_signing_input(event.id, event.leaf_hash))
    except (SigningKeyError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True, slots=True)
class LiveVerification:
    """The verification of the stored log and the checkpoint it was checked against."""

    result: Verification
    checkpoint: AuditCheckpoint | None


def verify_live_log(session: Session, keys: SigningKeys, origin: str) -> LiveVerification:
    """Checkpoint the log, run the offline verifier over its export, then the stored checks.

    Entries and checkpoints are verified with the published audit keys they
    name. The stored checks compare every filterable column with its signed
    entry and locate a rewritten history among the stored checkpoints.

    A refused checkpoint (the stored log no longer extends the last one) is
    reported as a problem, and the export is still verified against the last
    good checkpoint so that the first bad entry is named.
    """
    refused: str | None = None
    try:
        signed_checkpoint(session, keys, origin)
    except CheckpointError as exc:
        session.rollback()
        refused = str(exc)
    history = keys.history(refresh=True)
    result = verify_export(export_lines(session, origin), history)
    check_stored_log(session, history, origin, result)
    if refused is not None:
        result.fail(f"no new checkpoint could be signed: {refused}")
    return LiveVerification(result, latest_checkpoint(session))
