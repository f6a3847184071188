"""Writing and scanning encrypted record blocks: the release hot path.

A block holds many records of one citizen and one dataset, packed by
:class:`~civicdata.records.codec.RecordCodec` and sealed with the citizen's
data key; its associated data binds citizen, dataset and block id, so a block
moved to another citizen or dataset fails to decrypt.

:func:`scan_dataset` streams one dataset's blocks (server-side cursor on
PostgreSQL, where the wrapped keys are read beforehand rather than joined: see
:mod:`.queries`), reading only the time buckets asked for (:mod:`.buckets`),
unwraps every citizen's key once, decrypts blocks batch by batch and builds
the Polars frame from numpy columns, with no Python object per record. Row
order is unspecified (records of one citizen may be interleaved with others').

For example (it needs a database, so it is not a doctest)::

    frame = scan_dataset(session, vault, catalog.datasets["trips"])
    frame.columns  # ['citizen_id', 'mode', 'district', 'month', 'duration_min']
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator, Mapping, Sequence
from queue import Empty, Queue
from threading import Event, Thread
from typing import Any

import numpy as np
import polars as pl
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Select, insert, select
from sqlalchemy.orm import Session

from civicdata.db import utcnow
from civicdata.models import RecordBlock
from civicdata.records.buckets import record_buckets, split_by_bucket
from civicdata.records.codec import CodecError, RecordCodec, Rows
from civicdata.records.queries import (
    CitizenFilter,
    dataset_query,
    resolve_citizens,
    stream_batches,
    wrapped_keys,
)
from civicdata.vault import CitizenCipher, Vault, associated_data
from civicdata.vault.envelope import open_with
from policies.catalog import Catalog, DatasetSpec

FIELD = "records"
INSERT_CHUNK = 1000
SCAN_BATCH = 5000
NO_BUCKET = -1  # a block read for every bucket (stored as NULL)

_blocks = RecordBlock.__table__


class MissingKeyError(LookupError):
    """A citizen has record blocks but no data key (an inconsistent database)."""


class MisplacedBlockError(CodecError):
    """A block's stored time bucket is not the one its records lie in (an edited database)."""


def new_block_id() -> str:
    """A random block id: it says nothing about the citizen or the records."""
    return "b-" + secrets.token_hex(12)


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def write_blocks(
    db: Session | Connection,
    ciphers: Mapping[str, CitizenCipher],
    dataset: DatasetSpec,
    records: Mapping[str, Rows],
    *,
    chunk_size: int = INSERT_CHUNK,
) -> list[str]:
    """Seal each citizen's records as new blocks, one per time bucket; return the block ids.

    ``records`` maps citizen id -> that citizen's records (dicts or a structured
    array, see :meth:`RecordCodec.pack`); citizens without records get no block.
    A dataset with a ``time_bucket`` gets one block per citizen and bucket
    (records in their given order within it), others one block per citizen.
    Rows are inserted with Core ``executemany`` in chunks, in the caller's
    transaction.
    """
    codec = RecordCodec(dataset)
    connection = _connection(db)
    now = utcnow()
    pending: list[dict[str, Any]] = []
    block_ids: list[str] = []
    for citizen_id, rows in records.items():
        packed = codec.pack(rows)
        if not len(packed):
            continue
        cipher = ciphers.get(citizen_id)
        if cipher is None:
            raise KeyError(f"no data key given for citizen {citizen_id}")
        for bucket, part in split_by_bucket(dataset, packed):
            block_id = new_block_id()
            plaintext = codec.tag + part.tobytes()
            pending.append(
                {
                    "id": block_id,
                    "citizen_id": citizen_id,
                    "dataset": codec.dataset,
                    "layout": codec.layout,
                    "bucket": bucket,
                    "shard": cipher.shard,
                    "n_records": len(part),
                    "ciphertext": cipher.seal(plaintext, codec.dataset, FIELD, block_id),
                    "created_at": now,
                }
            )
            block_ids.append(block_id)
        if len(pending) >= chunk_size:
            connection.execute(insert(_blocks), pending)
            pending = []
    if pending:
        connection.execute(insert(_blocks), pending)
    return block_ids


class _ScanBuilder:
    """Decrypts streamed blocks batch by batch and assembles numpy columns.

    Each citizen's data key is unwrapped once, on their first block, and
    kept as a prepared cipher with the citizen's part of the associated data,
    so their later blocks (one per time bucket) cost one decryption each and
    the query needs no ORDER BY (a sort would cost PostgreSQL more than the
    rest of the read).
    """

    def __init__(
        self, spec: DatasetSpec, vault: Vault, keys: dict[str, tuple[str, bytes]] | None
    ) -> None:
        self.spec = spec
        self.keys = keys  # read beforehand (PostgreSQL), else joined to each block
        self.codec = RecordCodec(spec)
        self.vault = vault
        # id -> (position, prepared cipher, associated data up to the block id)
        self.citizens: dict[str, tuple[int, AESGCM, bytes]] = {}
        self.arrays: list[np.ndarray] = []
        self.owners: list[np.ndarray] = []

    def _citizen(
        self, citizen_id: str, key_id: str | None, wrapped: bytes | None
    ) -> tuple[int, AESGCM, bytes]:
        if key_id is None or wrapped is None:
            raise MissingKeyError(f"citizen {citizen_id} has record blocks but no data key")
        key = self.vault.unwrap_key(citizen_id, key_id, wrapped)
        prefix = associated_data(citizen_id, self.codec.dataset, FIELD, "")
        known = (len(self.citizens), AESGCM(key), prefix)
        self.citizens[citizen_id] = known
        return known

    def add(self, rows: Sequence[Any], wanted: set[str] | None) -> None:
        codec = self.codec
        itemsize = codec.dtype.itemsize
        bodies: list[memoryview] = []
        counts: list[int] = []
        owners: list[int] = []
        buckets: list[int] = []
        keys, citizens = self.keys, self.citizens
        for row in rows:
            block_id, citizen_id, layout, bucket, ciphertext = row[:5]
            if wanted is not None and citizen_id not in wanted:
                continue
            codec.check_layout(block_id, layout)
            known = citizens.get(citizen_id)
            if known is None:
                key_id, wrapped = row[5:] if keys is None else keys.get(citizen_id, (None, None))
                known = self._citizen(citizen_id, key_id, wrapped)
            position, aead, prefix = known
            if "\x00" in block_id:
                raise CodecError("a block id holds a NUL character")
            body = codec.body(block_id, open_with(aead, ciphertext, prefix + block_id.encode()))
            bodies.append(body)
            counts.append(len(body) // itemsize)
            owners.append(position)
            buckets.append(NO_BUCKET if bucket is None else bucket)
        if bodies:
            array = codec.from_bodies(bodies)
            self._check_buckets(array, np.repeat(np.asarray(buckets, dtype=np.int64), counts))
            self.arrays.append(array)
            self.owners.append(np.repeat(np.asarray(owners, dtype=np.int64), counts))

    def _check_buckets(self, array: np.ndarray, declared: np.ndarray) -> None:
        """Every record of a bucketed block lies in that bucket (a moved bucket is refused)."""
        actual = record_buckets(self.spec, array)
        if actual is None:
            return
        wrong = (declared != NO_BUCKET) & (actual != declared)
        if wrong.any():
            raise MisplacedBlockError(
                f"{int(wrong.sum())} record(s) of {self.spec.id} lie outside their block's time bucket"
            )

    def frame(self) -> pl.DataFrame:
        dtype = self.codec.dtype
        array = np.concatenate(self.arrays) if self.arrays else np.empty(0, dtype=dtype)
        owners = np.concatenate(self.owners) if self.owners else np.empty(0, dtype=np.int64)
        ids = pl.Series("citizen_id", list(self.citizens), dtype=pl.String).gather(owners)
        return pl.DataFrame([ids, *self.codec.columns(array)])


def scan_dataset(
    db: Session | Connection,
    vault: Vault,
    dataset: DatasetSpec,
    citizen_ids: CitizenFilter = None,
    *,
    buckets: Collection[int] | None = None,
    shards: Collection[int] | None = None,
    batch_size: int = SCAN_BATCH,
) -> pl.DataFrame:
    """Every record of ``dataset`` (optionally only of some citizens) as a Polars frame.

    Columns: ``citizen_id`` then one per catalog field (categories and times as
    their string labels, integers and numbers numeric). ``citizen_ids`` is a
    collection of ids or a ``Select`` of one id column (e.g. the citizens whose
    consent is active): on SQLite evaluated in the same statement, on
    PostgreSQL read first and bound as an array, with the wrapped keys read
    separately (see :mod:`civicdata.records.queries`).
    Reads inside the caller's transaction when given a session. ``buckets``
    (see :func:`~civicdata.records.buckets.query_buckets`) limits the read to
    blocks of those time buckets, and blocks of none. ``shards`` limits it to
    the citizens of those record shards (a release's shard task), reading
    only their blocks and keys.
    """
    connection = _connection(db)
    postgresql = connection.dialect.name == "postgresql"
    keys = None
    if postgresql:
        if isinstance(citizen_ids, Select):
            citizen_ids = resolve_citizens(connection, citizen_ids)
        keys = wrapped_keys(connection, citizen_ids, shards)
    query, wanted = dataset_query(
        dataset.id, citizen_ids, postgresql=postgresql, buckets=buckets, shards=shards
    )
    builder = _ScanBuilder(dataset, vault, keys)
    for rows in _prefetched(stream_batches(connection, query, batch_size)):
        builder.add(rows, wanted)
    return builder.frame()


def _prefetched(batches: Iterator[Sequence[Any]], depth: int = 2) -> Iterator[Sequence[Any]]:
    """Fetch the next batches in a thread while the caller decrypts the current one.

    The database driver waits on the network and the cipher works in native
    code, both without holding the GIL, so reading and decrypting overlap
    (on PostgreSQL this hides most of the query's own time). Only the thread
    touches the connection until the iteration ends; errors are re-raised here.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = Event()

    def produce() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                queue.put(("batch", batch))
            queue.put(("end", None))
        except BaseException as exc:  # handed to the consumer, never swallowed
            queue.put(("error", exc))

    worker = Thread(target=produce, name="scan-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock and finish the producer before returning
            try:
                queue.get(timeout=0.05)
            except Empty:
                continue
        worker.join()


def records_for_citizen(
    session: Session, vault: Vault, catalog: Catalog, citizen_id: str
) -> dict[str, list[dict[str, Any]]]:
    """All of one citizen's records, by dataset, as labelled dicts (their own export).

    Upload by upload; within one, bucket by bucket in time order, each in upload order.
    """
    rows = session.execute(
        select(_blocks.c.id, _blocks.c.dataset, _blocks.c.layout, _blocks.c.ciphertext)
        .where(_blocks.c.citizen_id == citizen_id)
        .order_by(_blocks.c.dataset, _blocks.c.created_at, _blocks.c.bucket, _blocks.c.id)
    ).all()
    if not rows:
        return {}
    cipher = vault.cipher(session, citizen_id)
    codecs: dict[str, RecordCodec] = {}
    out: dict[str, list[dict[str, Any]]] = {}
    for block_id, dataset, layout, ciphertext in rows:
        if dataset not in codecs:
            spec = catalog.datasets.get(dataset)
            if spec is None:
                raise CodecError(
                    f"block {block_id} belongs to dataset {dataset!r}, not in the catalog"
                )
            codecs[dataset] = RecordCodec(spec)
        codec = codecs[dataset]
        codec.check_layout(block_id, layout)
        plaintext = cipher.open(ciphertext, dataset, FIELD, block_id)
        out.setdefault(dataset, []).extend(codec.to_dicts(codec.decode(plaintext, block_id)))
    return out
