"""The auditor's reads of the log, written once for the API and the portal.

Both layers call these services and only shape the answer (JSON or HTML):

- :func:`browse` and :func:`look_up`: entries as their signed text states them,
  each with what the directory says about its actor;
- :func:`entry_with_proof`: one entry, its signature and its inclusion proof
  verified against the latest signed checkpoint;
- :func:`consistency_between`: an RFC 9162 consistency proof between two tree
  sizes, with the stored checkpoints at either end;
- :func:`export_events` and :func:`export_log`: the filtered view as CSV or
  JSON, and the whole log for ``civic audit verify --export``, streamed from a
  session of their own so that a long download never holds the request's.

Errors carry no HTTP status: :class:`NoSuchEntry` (a missing entry),
:class:`ProofRangeError` (a bad proof request, naming the parameter) and
:class:`~civicdata.audit.checkpoints.CheckpointError` (the log cannot be
proven) are mapped by the callers.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicdata.audit.actors import ActorInfo, describe_actors
from civicdata.audit.checkpoints import CheckpointError
from civicdata.audit.export import export_lines
from civicdata.audit.queries import (
    EventFilter,
    ProvenEvent,
    csv_chunks,
    iter_events,
    json_chunks,
    list_events,
    lookup_events,
    prove_events,
    search_actors,
    signed_checkpoint,
    signed_view,
)
from civicdata.audit.tree import prove_consistency
from civicdata.models import AuditCheckpoint, AuditEvent
from civicdata.signing.store import SigningKeys
from civicdata.vault.blind_index import BlindIndex

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class NoSuchEntry(LookupError):
    """There is no entry at this index."""

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__(f"there is no audit entry {index}")


class ProofRangeError(ValueError):
    """A proof was asked between sizes that cannot be proven; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def readable(session: Session, events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """Each entry's signed values, with ``actor_info``: who its actor id is."""
    views = [signed_view(event) for event in events]
    known = describe_actors(session, [view["actor"] for view in views])
    return [{**view, "actor_info": known[view["actor"]]} for view in views]


@dataclass(frozen=True, slots=True)
class EntryPage:
    """One page of readable entries, newest first; ``next_before`` continues."""

    entries: list[dict[str, Any]]
    next_before: int | None


def browse(
    session: Session,
    index: BlindIndex,
    where: EventFilter,
    *,
    before: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """The entries matching ``where`` (an actor search widened to the ids it means)."""
    page = list_events(session, search_actors(session, index, where), before=before, limit=limit)
    return EntryPage(readable(session, page.events), page.next_before)


def look_up(session: Session, term: str) -> list[dict[str, Any]]:
    """Readable entries by leaf hash, release or reservation id, or query hash."""
    return readable(session, lookup_events(session, term))


@dataclass(frozen=True, slots=True)
class EntryWithProof:
    """One entry as signed, who acted, and its inclusion proof or why there is none."""

    event: AuditEvent
    signed: dict[str, Any]  # the readable view, with actor_info
    proven: ProvenEvent | None
    checkpoint_note: str | None  # the signed note the proof leads to
    problem: str | None  # why the log cannot be proven (then ``proven`` is None)

    @property
    def actor(self) -> ActorInfo:
        info: ActorInfo = self.signed["actor_info"]
        return info

    @property
    def signature_base64(self) -> str:
        return base64.b64encode(self.event.signature).decode()


def entry_with_proof(
    session: Session, keys: SigningKeys, origin: str, index: int
) -> EntryWithProof:
    """Entry ``index`` proven against the latest signed checkpoint (signed now if needed).

    Raises :class:`NoSuchEntry`. A log that cannot be proven (a gap, a rewritten
    history) is not an exception here: the entry is returned with ``problem``.
    """
    event = session.get(AuditEvent, index)
    if event is None:
        raise NoSuchEntry(index)
    (signed,) = readable(session, [event])
    try:
        (proven,) = prove_events(session, keys, origin, [event])
    except CheckpointError as exc:
        return EntryWithProof(event, signed, None, None, str(exc))
    stored = session.get(AuditCheckpoint, proven.checkpoint.size)
    return EntryWithProof(event, signed, proven, stored.note if stored else None, None)


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """A proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""

    first: int
    second: int
    proof: list[bytes]
    first_checkpoint: str | None  # the stored signed notes at either size, if any
    second_checkpoint: str | None


def consistency_between(session: Session, first: int, second: int | None) -> ConsistencyProof:
    """The proof between ``first`` and ``second`` (default: the latest checkpoint's size).

    ``second`` may be at most the latest checkpoint's size, so both ends can be
    tied to signed roots. Raises :class:`ProofRangeError` naming the parameter,
    or ``CheckpointError`` if the stored log cannot be proven.
    """
    latest = session.scalar(select(AuditCheckpoint.size).order_by(AuditCheckpoint.size.desc()))
    latest_size = latest or 0
    second = latest_size if second is None else second
    if second > latest_size:
        raise ProofRangeError("second", f"beyond the latest checkpoint (size {latest_size})")
    if first > second:
        raise ProofRangeError("first", f"must not exceed second ({second})")
    proof = prove_consistency(session, first, second)
    notes = {
        checkpoint.size: checkpoint.note
        for checkpoint in session.scalars(
            select(AuditCheckpoint).where(AuditCheckpoint.size.in_([first, second]))
        )
    }
    return ConsistencyProof(first, second, proof, notes.get(first), notes.get(second))


@dataclass(frozen=True, slots=True)
class Export:
    """A download: its media type, file name and content, streamed in chunks."""

    media_type: str
    filename: str
    chunks: Iterator[str]


def export_events(
    session: Session,
    index: BlindIndex,
    sessions: sessionmaker[Session],
    where: EventFilter,
    kind: str,
) -> Export:
    """Every entry matching ``where`` (no paging), newest first, as ``csv`` or ``json``.

    The actor search is resolved now, in ``session``; the entries are read
    while the download streams, in a session of their own.
    """
    if kind not in EXPORT_TYPES:
        raise ValueError(f"no export format {kind!r}")
    resolved = search_actors(session, index, where)
    render = csv_chunks if kind == "csv" else json_chunks

    def chunks() -> Iterator[str]:
        with sessions() as reading:
            yield from render(iter_events(reading, resolved))

    return Export(EXPORT_TYPES[kind], f"audit-events.{kind}", chunks())


def export_log(
    session: Session, keys: SigningKeys, origin: str, sessions: sessionmaker[Session]
) -> Export:
    """The whole log and its latest checkpoint (signed now if the log grew), as JSON Lines.

    Raises ``CheckpointError`` if no checkpoint can be signed.
    """
    signed_checkpoint(session, keys, origin)

    def lines() -> Iterator[str]:
        with sessions() as reading:
            for line in export_lines(reading, origin):
                yield line + "\n"

    return Export("application/jsonl", "audit-log.jsonl", lines())
