"""Writing and scanning encrypted record blocks: the release hot path.

A block holds many records of one citizen and one dataset, packed by
:class:`~civicdata.records.codec.RecordCodec` and sealed with the citizen's
data key; its associated data binds citizen, dataset and block id, so a block
moved to another citizen or dataset fails to decrypt.

:func:`scan_dataset` reads one dataset in a single streamed query (server-side
cursor on PostgreSQL) that joins each block to its wrapped data key, unwraps
every citizen's key once, decrypts blocks batch by batch and builds the
Polars frame from numpy columns, with no Python object per record. Row order
is unspecified (records of one citizen may be interleaved with others').

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
from civicdata.models import CitizenKey, RecordBlock
from civicdata.records.codec import CodecError, RecordCodec, Rows
from civicdata.vault import CitizenCipher, Vault, associated_data
from civicdata.vault.envelope import open_with
from policies.catalog import Catalog, DatasetSpec

FIELD = "records"
INSERT_CHUNK = 1000
SCAN_BATCH = 5000
# Up to this many ids go into the query as bound parameters; a longer list is
# applied while streaming, so one scan is always one statement.
MAX_BOUND_IDS = 1000

CitizenFilter = Collection[str] | Select[Any] | None

_blocks = RecordBlock.__table__
_keys = CitizenKey.__table__


class MissingKeyError(LookupError):
    """A citizen has record blocks but no data key (an inconsistent database)."""


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
    """Seal each citizen's records as one new block; return the block ids in order.

    ``records`` maps citizen id -> that citizen's records (dicts or a structured
    array, see :meth:`RecordCodec.pack`); citizens without records get no block.
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
        block_id = new_block_id()
        plaintext = codec.tag + packed.tobytes()
        pending.append(
            {
                "id": block_id,
                "citizen_id": citizen_id,
                "dataset": codec.dataset,
                "layout": codec.layout,
                "n_records": len(packed),
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


def dataset_query(
    dataset: str, citizen_ids: CitizenFilter = None
) -> tuple[Select[Any], set[str] | None]:
    """The scan's one statement, and the id set to apply while streaming (long lists)."""
    query = (
        select(
            _blocks.c.id,
            _blocks.c.citizen_id,
            _blocks.c.layout,
            _blocks.c.ciphertext,
            _keys.c.master_key_id,
            _keys.c.wrapped,
        )
        .select_from(_blocks.outerjoin(_keys, _keys.c.citizen_id == _blocks.c.citizen_id))
        .where(_blocks.c.dataset == dataset)
    )
    if citizen_ids is None:
        return query, None
    if isinstance(citizen_ids, Select):
        return query.where(_blocks.c.citizen_id.in_(citizen_ids)), None
    wanted = set(citizen_ids)
    if len(wanted) <= MAX_BOUND_IDS:
        return query.where(_blocks.c.citizen_id.in_(sorted(wanted))), None
    return query, wanted


class _ScanBuilder:
    """Decrypts streamed blocks batch by batch and assembles numpy columns.

    Each citizen's data key is unwrapped on their first block and kept (32
    bytes) for their later blocks, so the query needs no ORDER BY (a sort
    would cost PostgreSQL more than the rest of the read).
    """

    def __init__(self, codec: RecordCodec, vault: Vault) -> None:
        self.codec = codec
        self.vault = vault
        self.citizens: dict[str, tuple[int, bytes]] = {}  # id -> (position, data key)
        self.arrays: list[np.ndarray] = []
        self.owners: list[np.ndarray] = []
        self._last: tuple[str, AESGCM] | None = None

    def _aead(
        self, citizen_id: str, key_id: str | None, wrapped: bytes | None
    ) -> tuple[int, AESGCM]:
        known = self.citizens.get(citizen_id)
        if known is None:
            if key_id is None or wrapped is None:
                raise MissingKeyError(f"citizen {citizen_id} has record blocks but no data key")
            known = (len(self.citizens), self.vault.unwrap(citizen_id, key_id, wrapped).key)
            self.citizens[citizen_id] = known
        elif self._last is not None and self._last[0] == citizen_id:
            return known[0], self._last[1]
        aead = AESGCM(known[1])
        self._last = (citizen_id, aead)
        return known[0], aead

    def add(self, rows: Sequence[Any], wanted: set[str] | None) -> None:
        codec, dataset = self.codec, self.codec.dataset
        itemsize = codec.dtype.itemsize
        bodies: list[memoryview] = []
        counts: list[int] = []
        owners: list[int] = []
        for block_id, citizen_id, layout, ciphertext, key_id, wrapped in rows:
            if wanted is not None and citizen_id not in wanted:
                continue
            codec.check_layout(block_id, layout)
            position, aead = self._aead(citizen_id, key_id, wrapped)
            ad = associated_data(citizen_id, dataset, FIELD, block_id)
            body = codec.body(block_id, open_with(aead, ciphertext, ad))
            bodies.append(body)
            counts.append(len(body) // itemsize)
            owners.append(position)
        if bodies:
            self.arrays.append(codec.from_bodies(bodies))
            self.owners.append(np.repeat(np.asarray(owners, dtype=np.int64), counts))

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
    batch_size: int = SCAN_BATCH,
) -> pl.DataFrame:
    """Every record of ``dataset`` (optionally only of some citizens) as a Polars frame.

    Columns: ``citizen_id`` then one per catalog field (categories and times as
    their string labels, integers and numbers numeric). ``citizen_ids`` is a
    collection of ids or a ``Select`` of one id column (e.g. the citizens whose
    consent is active), evaluated in the same statement. Reads inside the
    caller's transaction when given a session, so a consent check made in the
    same transaction sees the same snapshot on PostgreSQL.
    """
    codec = RecordCodec(dataset)
    query, wanted = dataset_query(dataset.id, citizen_ids)
    query = query.execution_options(stream_results=True, yield_per=batch_size)
    builder = _ScanBuilder(codec, vault)
    for rows in _prefetched(_connection(db).execute(query).partitions()):
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
    """All of one citizen's records, by dataset, as labelled dicts (their own export)."""
    rows = session.execute(
        select(_blocks.c.id, _blocks.c.dataset, _blocks.c.layout, _blocks.c.ciphertext)
        .where(_blocks.c.citizen_id == citizen_id)
        .order_by(_blocks.c.dataset, _blocks.c.created_at, _blocks.c.id)
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
