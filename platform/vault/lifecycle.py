"""Master-key rotation steps: add (pending), promote, retire, and their status.

Each step is one transaction that locks the state rows it changes and
refuses when it would break a live worker: ``promote`` needs the key in this
node's key source, ``retire`` needs that no shard key and no data key is
still wrapped by the key, counted after the key's row is locked, in the same
transaction that marks it retired (so a wrap in flight either commits first
and is counted, or sees the key retired and wraps under the primary instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicdata.db import utcnow
from civicdata.models import CitizenKey, KeyEncryptionKey, MasterKeyState
from civicdata.vault.keyring import KeyUnavailableError
from civicdata.vault.service import Vault
from civicdata.vault.states import DECRYPT_ONLY, PENDING, PRIMARY, RETIRED


class KeyStateError(Exception):
    """A rotation step cannot run now; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """One master key as ``civic keys status`` shows it."""

    id: str
    state: str
    added_at: datetime
    promoted_at: datetime | None
    demoted_at: datetime | None
    retired_at: datetime | None
    here: bool
    shard_keys: int
    data_keys: int


def add_key(session: Session, vault: Vault) -> str:
    """Generate a master key in the key source and record it as pending."""
    key_id = vault.keys.create_key()
    session.add(MasterKeyState(id=key_id, state=PENDING, added_at=utcnow()))
    session.commit()
    vault.states.invalidate()
    return key_id


def promote(session: Session, vault: Vault, key_id: str) -> str | None:
    """Make ``key_id`` primary and the old primary decrypt-only; return the old primary."""
    vault.states.states()  # records the key source's keys on a new instance
    rows = {
        row.id: row
        for row in session.scalars(
            select(MasterKeyState).with_for_update().order_by(MasterKeyState.id)
        )
    }
    target = rows.get(key_id)
    if target is None:
        raise KeyStateError(f"master key {key_id!r} is not recorded; run `civic keys add` first")
    if target.state == PRIMARY:
        return None
    if target.state == RETIRED:
        raise KeyStateError(f"master key {key_id!r} is retired and cannot be promoted")
    if not vault.keys.has_key(key_id):
        raise KeyUnavailableError(f"master key {key_id!r} is not in this node's key source", key_id)
    now = utcnow()
    old = [row for row in rows.values() if row.state == PRIMARY]
    for row in old:
        row.state, row.demoted_at = DECRYPT_ONLY, now
    target.state, target.promoted_at, target.demoted_at = PRIMARY, now, None
    session.commit()
    vault.states.invalidate()
    return old[0].id if old else None


def retire(session: Session, vault: Vault, key_id: str) -> None:
    """Mark ``key_id`` retired once nothing is wrapped by it, then drop it from the source."""
    marked = session.execute(
        update(MasterKeyState)
        .where(MasterKeyState.id == key_id, MasterKeyState.state.in_((PENDING, DECRYPT_ONLY)))
        .values(state=RETIRED, retired_at=utcnow())
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        state = session.scalar(select(MasterKeyState.state).where(MasterKeyState.id == key_id))
        session.rollback()
        if state == PRIMARY:
            raise KeyStateError(f"master key {key_id!r} is primary; promote another key first")
        raise KeyStateError(f"master key {key_id!r} is {state or 'not recorded'}")
    shard_keys = session.execute(
        select(func.count()).where(KeyEncryptionKey.master_key_id == key_id)
    ).scalar_one()
    data_keys = vault.keys_using(session, key_id)
    if shard_keys or data_keys:
        session.rollback()
        raise KeyStateError(
            f"{data_keys} data key(s) and {shard_keys} shard key(s) still wrapped by "
            f"{key_id}; run `civic keys rewrap`"
        )
    session.commit()
    vault.states.invalidate()
    vault.keys.destroy(key_id)


def status(session: Session, vault: Vault) -> list[KeyStatus]:
    """Every recorded master key with its state, presence here and what it wraps."""
    vault.states.states()  # records the key source's keys on a new instance
    shard_counts = dict(
        session.execute(
            select(KeyEncryptionKey.master_key_id, func.count()).group_by(
                KeyEncryptionKey.master_key_id
            )
        ).all()
    )
    data_counts = dict(
        session.execute(
            select(KeyEncryptionKey.master_key_id, func.count())
            .join(CitizenKey, CitizenKey.master_key_id == KeyEncryptionKey.id)
            .group_by(KeyEncryptionKey.master_key_id)
        ).all()
    )
    direct_counts = dict(
        session.execute(
            select(CitizenKey.master_key_id, func.count()).group_by(CitizenKey.master_key_id)
        ).all()
    )
    rows = session.scalars(select(MasterKeyState).order_by(MasterKeyState.added_at))
    return [
        KeyStatus(
            id=row.id,
            state=row.state,
            added_at=row.added_at,
            promoted_at=row.promoted_at,
            demoted_at=row.demoted_at,
            retired_at=row.retired_at,
            here=vault.keys.has_key(row.id),
            shard_keys=shard_counts.get(row.id, 0),
            data_keys=data_counts.get(row.id, 0) + direct_counts.get(row.id, 0),
        )
        for row in rows
    ]
