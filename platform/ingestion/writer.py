"""Encryption on arrival: validated rows become one sealed block per citizen.

An upload's rows arrive in file order, a few per citizen per batch. Sealing
each batch's rows per citizen would leave the release hot path with almost
one block (one decryption) per record, so :class:`BlockBuffer` keeps the
packed rows (a few bytes each, in the storage layout) with their owners and,
when the buffer reaches its size or the upload ends, sorts them by citizen,
unwraps every citizen's data key once (:meth:`Vault.ciphers`) and writes one
block per citizen with :func:`~civicdata.records.store.write_blocks`. All of it
happens in the upload's transaction, so a crash leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from civicdata.records import write_blocks
from civicdata.vault import Vault
from policies.catalog import DatasetSpec

BUFFER_BYTES = 64 << 20


class BlockBuffer:
    """Collects packed rows of one dataset by citizen and seals them as blocks."""

    def __init__(
        self, session: Session, vault: Vault, spec: DatasetSpec, max_bytes: int = BUFFER_BYTES
    ) -> None:
        self._session = session
        self._vault = vault
        self._spec = spec
        self._max_bytes = max_bytes
        self._positions: dict[str, int] = {}
        self._rows: list[np.ndarray] = []
        self._owners: list[np.ndarray] = []
        self._bytes = 0
        self.blocks = 0

    def add(self, citizen_ids: Sequence[str], rows: np.ndarray) -> None:
        """Queue ``rows`` (a structured array), ``citizen_ids[i]`` owning ``rows[i]``."""
        if len(citizen_ids) != len(rows):
            raise ValueError("one citizen id per row is needed")
        if not len(rows):
            return
        positions = self._positions
        owners = np.fromiter(
            (positions.setdefault(cid, len(positions)) for cid in citizen_ids),
            dtype=np.int64,
            count=len(citizen_ids),
        )
        self._rows.append(rows)
        self._owners.append(owners)
        self._bytes += rows.nbytes + owners.nbytes
        if self._bytes >= self._max_bytes:
            self.flush()

    def flush(self) -> None:
        """Seal and write the queued rows: one block per citizen."""
        if not self._rows:
            return
        rows = np.concatenate(self._rows)
        owners = np.concatenate(self._owners)
        ids = list(self._positions)
        self._rows, self._owners, self._positions, self._bytes = [], [], {}, 0
        order = np.argsort(owners, kind="stable")
        rows, owners = rows[order], owners[order]
        starts = np.flatnonzero(np.diff(owners)) + 1
        parts = np.split(rows, starts)
        present = [ids[int(i)] for i in owners[np.concatenate(([0], starts))]]
        ciphers = self._vault.ciphers(self._session, present)
        records = dict(zip(present, parts, strict=True))
        self.blocks += len(write_blocks(self._session, ciphers, self._spec, records))
