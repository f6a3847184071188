"""Source record ids, kept only as keyed digests, so each record is stored once.

A source names each record with its own id. The platform keeps the blind
index's HMAC of (client, dataset, source id), never the id: a retried record
is recognised by its digest, and the table says nothing a source's own
systems could be joined with. Digests of one client and dataset never collide
with another's, so uniqueness per client and dataset is the digest's primary
key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table

from civicdata.ingestion.bulk_sql import insert_rows, select_where_in
from civicdata.models import SourceRecord
from civicdata.vault.blind_index import BlindIndex

KIND = "source_record"

_table: Table = SourceRecord.__table__


class SourceIds:
    """Digests of one client's record ids for one dataset, and their stored set."""

    def __init__(self, index: BlindIndex, client_id: str, dataset: str) -> None:
        self._index = index
        self._prefix = f"{client_id}\x00{dataset}\x00"

    def digest(self, source_id: str) -> bytes:
        return self._index.digest(KIND, self._prefix + source_id)

    def digests(self, source_ids: Iterable[str]) -> list[bytes]:
        return [self.digest(source_id) for source_id in source_ids]

    @staticmethod
    def stored(connection: Connection, digests: Sequence[bytes]) -> set[bytes]:
        """Which of ``digests`` are already stored (by any earlier or this upload)."""
        rows = select_where_in(connection, _table, "digest", digests, ["digest"])
        return {bytes(row[0]) for row in rows}

    @staticmethod
    def insert(connection: Connection, digests: Sequence[bytes], ingestion_id: str) -> None:
        """Record ``digests`` as stored by ``ingestion_id`` (in the caller's transaction)."""
        insert_rows(
            connection, _table, ["digest", "ingestion_id"], [(d, ingestion_id) for d in digests]
        )
