"""The indexed columns of an entry, derived from its signed text and checked against it.

``audit_events`` repeats an entry's fields in columns so that auditors can
filter on them, but only the entry text is hashed and signed. So the columns
are never written from anything but the text (:func:`columns_of` at append
time), and every verification recomputes them from the text and compares
(:func:`check_columns`): a column relabelled in the database (a department, a
decision, an actor) is reported, naming the first entry concerned.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from civicdata.models import AuditEvent

if TYPE_CHECKING:  # verify imports the log, which derives its columns here
    from civicdata.audit.verify import Verification

# Fields of the entry text that have a column of their own.
TOP_LEVEL = ("actor", "action", "resource", "decision")
# Keys of the entry's ``details`` that are repeated in columns for filtering.
INDEXED_DETAILS = ("subject", "department", "dataset", "purpose")
COLUMNS = ("at", *TOP_LEVEL, *INDEXED_DETAILS, "details")


class EntryTextError(ValueError):
    """The stored entry text is not a JSON object with the fields of an entry."""


def columns_of(entry: str) -> dict[str, Any]:
    """The column values an entry's signed text implies (``at`` as an aware datetime)."""
    try:
        document = json.loads(entry)
        details = document["details"]
        values: dict[str, Any] = {name: document[name] for name in TOP_LEVEL}
        values["at"] = datetime.fromisoformat(document["at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EntryTextError(f"not an audit entry: {exc}") from None
    if not isinstance(details, dict):
        raise EntryTextError("not an audit entry: its details are not an object")
    values["details"] = details
    for key in INDEXED_DETAILS:
        value = details.get(key)
        values[key] = None if value is None else str(value)
    return values


def mismatched_columns(event: AuditEvent) -> list[str]:
    """The columns of ``event`` whose stored value differs from its signed text."""
    try:
        signed = columns_of(event.entry)
    except EntryTextError:
        return list(COLUMNS)
    return [name for name in COLUMNS if not _same(name, getattr(event, name), signed[name])]


def _same(name: str, stored: Any, signed: Any) -> bool:
    if name == "details":
        return _canonical(stored) == _canonical(signed)
    return bool(stored == signed)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def check_columns(session: Session, size: int, result: Verification) -> None:
    """Compare the columns of entries ``0 .. size-1`` with their signed text; fail on each."""
    for event in _stream(session, size):
        try:
            signed = columns_of(event.entry)
        except EntryTextError as exc:
            result.fail(f"entry {event.id}: its stored text is {exc}", event.id)
            continue
        for name in COLUMNS:
            stored = getattr(event, name)
            if not _same(name, stored, signed[name]):
                result.fail(
                    f"entry {event.id}: its {name} column says {_show(stored)}, "
                    f"the signed entry says {_show(signed[name])}",
                    event.id,
                )


def _stream(session: Session, size: int) -> Iterator[Row[Any]]:
    """The stored rows as they are in the database now (not the session's cached objects)."""
    query = (
        select(AuditEvent.id, AuditEvent.entry, *(getattr(AuditEvent, name) for name in COLUMNS))
        .where(AuditEvent.id < size)
        .order_by(AuditEvent.id)
        .execution_options(yield_per=2000)
    )
    yield from session.execute(query)


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    text = _canonical(value) if isinstance(value, dict) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
