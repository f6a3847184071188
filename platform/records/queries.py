"""The scan's statements, written so that no planner statistics can make them quadratic.

PostgreSQL plans joins from statistics that only ``ANALYZE`` refreshes. Right
after a bulk load it may believe a handful of citizens consent, or hold keys,
and choose a nested loop that re-reads one side for every row of the other:
a release took 371 s instead of 2.5 s at 100,000 citizens. So on PostgreSQL
the scan joins nothing in SQL: the eligible ids are read first
(:func:`resolve_citizens`), then the wrapped keys (:func:`wrapped_keys`) and
the blocks (:func:`dataset_query`) each come from one table, filtered by
``citizen_id = ANY(:ids)``, which PostgreSQL hashes or answers by index
probes, linear whatever it believes. SQLite (whose planner uses no such
statistics here) keeps one statement joining blocks to keys.

A release's shard task reads by record shard instead: the blocks and the
keys of its shards (``shard = ANY(:shards)``, indexed on both tables), with
the eligible citizens applied while streaming, so no task sends or probes the
whole eligibility list.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from psycopg.pq import Format
from sqlalchemy import (
    ARRAY,
    Connection,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    event,
    or_,
    select,
)

from civicdata.models import CitizenKey, RecordBlock

# On SQLite, up to this many ids go into the query as bound parameters; a
# longer list is applied while streaming, so the scan stays one statement.
MAX_BOUND_IDS = 1000

CitizenFilter = Collection[str] | Select[Any] | None

_blocks = RecordBlock.__table__
_keys = CitizenKey.__table__


def _ids(name: str, values: Collection[str]) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(String)))


def _shards(column: Any, shards: Collection[int], postgresql: bool) -> Any:
    if postgresql:
        return column == any_(bindparam("shards", sorted(shards), type_=ARRAY(Integer)))
    return column.in_(sorted(shards))


def dataset_query(
    dataset: str,
    citizen_ids: CitizenFilter = None,
    *,
    postgresql: bool = False,
    buckets: Collection[int] | None = None,
    shards: Collection[int] | None = None,
) -> tuple[Select[Any], set[str] | None]:
    """The blocks statement, and the id set to apply while streaming (long lists on SQLite).

    Rows are (id, citizen_id, layout, bucket, ciphertext), followed on SQLite
    by the citizen's (master_key_id, wrapped) from an outer join. On
    PostgreSQL ``citizen_ids`` must be a collection (resolve a ``Select``
    first) and is bound as one array. With ``buckets``, only blocks of those
    time buckets or of none are read; with ``shards``, only blocks of those
    record shards, and a collection of ids is applied while streaming.
    """
    columns = [
        _blocks.c.id,
        _blocks.c.citizen_id,
        _blocks.c.layout,
        _blocks.c.bucket,
        _blocks.c.ciphertext,
    ]
    if postgresql:
        query = select(*columns)
    else:
        query = select(*columns, _keys.c.master_key_id, _keys.c.wrapped).select_from(
            _blocks.outerjoin(_keys, _keys.c.citizen_id == _blocks.c.citizen_id)
        )
    query = query.where(_blocks.c.dataset == dataset)
    if buckets is not None:
        chosen = sorted(set(buckets))
        query = query.where(or_(_blocks.c.bucket.in_(chosen), _blocks.c.bucket.is_(None)))
    if shards is not None:
        query = query.where(_shards(_blocks.c.shard, shards, postgresql))
        if citizen_ids is not None and not isinstance(citizen_ids, Select):
            return query, set(citizen_ids)
    if citizen_ids is None:
        return query, None
    if isinstance(citizen_ids, Select):
        if postgresql:
            raise TypeError("on PostgreSQL, resolve a Select of citizen ids before the scan")
        return query.where(_blocks.c.citizen_id.in_(citizen_ids)), None
    wanted = set(citizen_ids)
    if postgresql:
        return query.where(_blocks.c.citizen_id == _ids("citizen_ids", wanted)), None
    if len(wanted) <= MAX_BOUND_IDS:
        return query.where(_blocks.c.citizen_id.in_(sorted(wanted))), None
    return query, wanted


def resolve_citizens(connection: Connection, citizen_ids: Select[Any]) -> list[str]:
    """The ids a ``Select`` of one id column yields (one statement).

    The scan's later statements run under their own snapshot on READ
    COMMITTED: the ids are those eligible when this one ran (the consent
    check asks about an instant anyway), the blocks those present after.
    """
    return list(connection.execute(citizen_ids).scalars())


def wrapped_keys(
    connection: Connection,
    citizen_ids: Collection[str] | None,
    shards: Collection[int] | None = None,
) -> dict[str, tuple[str, bytes]]:
    """citizen id -> (master key id, wrapped data key): of ``shards``, of ``citizen_ids`` or all."""
    query = select(_keys.c.citizen_id, _keys.c.master_key_id, _keys.c.wrapped)
    if shards is not None:
        query = query.where(_shards(_keys.c.shard, shards, postgresql=True))
    elif citizen_ids is not None:
        query = query.where(_keys.c.citizen_id == _ids("key_ids", citizen_ids))
    return {cid: (key_id, bytes(wrapped)) for cid, key_id, wrapped in connection.execute(query)}


def stream_batches(
    connection: Connection, query: Select[Any], size: int
) -> Iterator[Sequence[Any]]:
    """The rows of ``query`` in batches of ``size``, read through a server-side cursor.

    On PostgreSQL the cursor is switched to psycopg's **binary** format: each
    block's ciphertext arrives as its bytes, not as hex text that PostgreSQL
    formats and the driver parses back (twice the bytes on the wire, two
    passes over them). The statement still goes through SQLAlchemy, so its
    events (logging, metrics) see it like any other.
    """
    query = query.execution_options(stream_results=True, yield_per=size)
    if connection.dialect.name != "postgresql":
        yield from connection.execute(query).partitions()
        return
    query = query.execution_options(**{_BINARY: True})
    event.listen(connection, "before_cursor_execute", _binary_results)
    try:
        yield from connection.execute(query).partitions()
    finally:
        event.remove(connection, "before_cursor_execute", _binary_results)


_BINARY = "civic_binary_results"


def _binary_results(
    _conn: Connection, cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
) -> None:
    """Ask psycopg for binary results on the statements that opted in."""
    if context is not None and context.execution_options.get(_BINARY):
        cursor.format = Format.BINARY
