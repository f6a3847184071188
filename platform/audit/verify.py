"""Offline verification of an exported log with nothing but the published key history.

Each entry is checked in order: its position (a deleted or reordered entry
leaves a wrong index), its leaf hash recomputed from its text (an edit), and
its signature over index and leaf hash (an edit with a recomputed hash), made
by the audit key the entry names (a key of another use is refused). Then
the Merkle root of all leaves must equal the signed checkpoint's root, the
checkpoint must cover every entry (truncation), and an earlier checkpoint the
auditor kept must be consistent with it (a fork or a rollback).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature

from civicdata.audit.checkpoints import Checkpoint, CheckpointError
from civicdata.audit.export import EXPORT_FORMAT
from civicdata.audit.forks import first_difference
from civicdata.audit.keys import entry_key, open_signed_checkpoint
from civicdata.audit.log import entry_signing_input
from civicdata.audit.merkle import consistency_proof, leaf_hash, root_hash, verify_consistency
from civicdata.signing.history import KeyHistory
from civicdata.signing.material import SigningKeyError
from civicdata.witness.cosignature import Witness

MAX_PROBLEMS = 20


@dataclass
class Verification:
    """The outcome: ``ok`` only if every check passed; ``first_bad`` names an entry."""

    size: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, index: int | None = None) -> None:
        if index is not None and (self.first_bad is None or index < self.first_bad):
            self.first_bad = index
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)


def verify_export(
    lines: Iterable[str],
    history: KeyHistory,
    since_checkpoint: str | None = None,
    witnesses: Sequence[Witness] = (),
    quorum: int = 0,
) -> Verification:
    """Verify an export (see :mod:`civicdata.audit.export`) against the published audit keys.

    Every entry and checkpoint is checked with the audit key of ``history`` it
    names (by key id, or by the note's key hash); a key of another use is refused.

    ``since_checkpoint`` is what the auditor kept from an earlier visit: a
    checkpoint note, or a whole earlier export (whose leaves then let a fork be
    located at the first entry that differs). With ``quorum`` k, the latest
    checkpoint must carry valid cosignatures of at least k of ``witnesses``.
    """
    result, leaves, checkpoint, note = _verify_lines(lines, history)
    if quorum:
        _check_witnesses(note, witnesses, quorum, result)
    if checkpoint is not None and since_checkpoint is not None:
        _check_since(since_checkpoint, history, leaves, checkpoint, result)
    return result


def _verify_lines(
    lines: Iterable[str], history: KeyHistory
) -> tuple[Verification, list[bytes], Checkpoint | None, str | None]:
    """Check every entry and the closing checkpoint; the checkpoint only if it opened."""
    result = Verification()
    iterator = iter(lines)
    try:
        header = json.loads(next(iterator))
    except (StopIteration, ValueError):
        result.fail("the export has no header line")
        return result, [], None, None
    if header.get("format") != EXPORT_FORMAT:
        result.fail(f"unknown export format {header.get('format')!r}")
        return result, [], None, None
    origin = str(header.get("origin"))
    leaves: list[bytes] = []
    note: str | None = None
    for line in iterator:
        record = json.loads(line)
        if "checkpoint" in record:
            note = record["checkpoint"]
            break
        _check_entry(record, len(leaves), history, result)
        leaves.append(leaf_hash(str(record.get("entry", "")).encode("utf-8")))
    result.size = len(leaves)
    if note is None:
        result.fail("the export ends without a signed checkpoint (truncated?)")
        return result, leaves, None, note
    try:
        checkpoint = open_signed_checkpoint(note, origin, history)
    except CheckpointError as exc:
        result.fail(f"latest checkpoint: {exc}")
        return result, leaves, None, note
    if checkpoint.size > len(leaves):
        result.fail(
            f"log truncated: the checkpoint covers {checkpoint.size} entries, the export has {len(leaves)}",
            len(leaves),
        )
        return result, leaves, None, note
    if checkpoint.size < len(leaves):
        result.fail(f"the export has {len(leaves) - checkpoint.size} entries beyond its checkpoint")
    if root_hash(leaves[: checkpoint.size]) != checkpoint.root:
        result.fail(f"the entries do not hash to the checkpoint's root (size {checkpoint.size})")
    return result, leaves, checkpoint, note


def _check_witnesses(
    note: str | None, witnesses: Sequence[Witness], quorum: int, result: Verification
) -> None:
    if quorum > len(witnesses):
        result.fail(f"{quorum} witness cosignatures required but only {len(witnesses)} known")
        return
    cosigned = [w.name for w in witnesses if note is not None and w.cosigns(note)]
    if len(cosigned) < quorum:
        missing = sorted({w.name for w in witnesses} - set(cosigned))
        result.fail(
            f"the checkpoint carries valid cosignatures of {len(cosigned)} witness(es),"
            f" {quorum} required (none valid from {', '.join(missing)})"
        )


def _check_entry(
    record: dict[str, object], position: int, history: KeyHistory, result: Verification
) -> None:
    index = record.get("index")
    if index != position:
        if isinstance(index, int) and index > position:
            result.fail(
                f"entry {position} is missing (entry {index} stands in its place)", position
            )
        else:
            result.fail(f"entry {index} is out of order: found at position {position}", position)
    text = str(record.get("entry", ""))
    leaf = leaf_hash(text.encode("utf-8"))
    if record.get("leaf_hash") != leaf.hex():
        result.fail(
            f"entry {position} was altered: its text does not match its leaf hash", position
        )
    try:
        content_index = json.loads(text).get("index")
    except ValueError:
        content_index = None
    if content_index != position:
        result.fail(f"entry {position} holds the content of entry {content_index}", position)
    try:
        public_key = entry_key(history, text)
    except SigningKeyError as exc:
        result.fail(f"entry {position} names no usable audit key: {exc}", position)
        return
    try:
        signature = base64.b64decode(str(record.get("signature", "")), validate=True)
        public_key.verify(signature, entry_signing_input(position, leaf))
    except (ValueError, InvalidSignature):
        result.fail(
            f"entry {position} is not signed by the platform key (edited or forged)", position
        )


def _check_since(
    kept: str,
    history: KeyHistory,
    leaves: list[bytes],
    latest: Checkpoint,
    result: Verification,
) -> None:
    """The log must extend what the auditor kept; a fork is located when the leaves are known."""
    kept_leaves: list[bytes] | None = None
    if kept.lstrip().startswith("{"):  # a whole earlier export, not just its checkpoint
        earlier_result, kept_leaves, opened, _ = _verify_lines(kept.splitlines(), history)
        if opened is None or not earlier_result.ok:
            problem = earlier_result.problems[0] if earlier_result.problems else "unreadable"
            result.fail(f"the earlier export you kept does not verify: {problem}")
            return
        earlier = opened
    else:
        try:
            earlier = open_signed_checkpoint(kept, latest.origin, history)
        except CheckpointError as exc:
            result.fail(f"earlier checkpoint: {exc}")
            return
    if earlier.size > latest.size:
        result.fail(
            f"log truncated or rolled back: an earlier checkpoint had {earlier.size} entries, now {latest.size}",
            latest.size,
        )
        return
    proof = consistency_proof(earlier.size, leaves[: latest.size])
    if verify_consistency(earlier.size, latest.size, earlier.root, latest.root, proof):
        return
    differs = first_difference(kept_leaves[: earlier.size], leaves) if kept_leaves else None
    if differs is None:
        result.fail(
            f"fork: the log is not consistent with the earlier checkpoint of size {earlier.size}"
            " (verify against the earlier export you kept to locate the first differing entry)"
        )
        return
    result.fail(
        f"fork: entry {differs} differs from the tree of the checkpoint you kept"
        f" (size {earlier.size}): the history was rewritten from there",
        differs,
    )
