"""Creating, finding and erasing citizens.

A citizen is a random pseudonym; name and email are sealed with the citizen's
own data key, and look-ups go through the keyed blind index. Erasure shreds
the data key and deletes every record, leaving a tombstone with the pseudonym
so that consent history and the audit log stay consistent.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicdata.db import utcnow
from civicdata.models import Citizen, CitizenLookup, RecordBlock
from civicdata.vault import Vault
from civicdata.vault.blind_index import BlindIndex


def new_pseudonym() -> str:
    """A random pseudonymous id, unlinkable to the person."""
    return "c-" + secrets.token_hex(12)


def create_citizen(
    session: Session,
    vault: Vault,
    index: BlindIndex,
    *,
    email: str | None = None,
    name: str | None = None,
    references: Mapping[str, str] | None = None,
    registered: bool = False,
    citizen_id: str | None = None,
) -> Citizen:
    """Create a citizen with a fresh data key; identity fields are sealed."""
    cid = citizen_id or new_pseudonym()
    citizen = Citizen(id=cid, registered=registered)
    session.add(citizen)
    session.flush()
    cipher = vault.create_key(session, cid)
    if email is not None:
        citizen.email_enc = cipher.seal(email.encode(), "citizens", "email", cid)
        session.add(
            CitizenLookup(digest=index.digest("email", email), kind="email", citizen_id=cid)
        )
    if name is not None:
        citizen.name_enc = cipher.seal(name.encode(), "citizens", "name", cid)
    for kind, value in (references or {}).items():
        session.add(CitizenLookup(digest=index.digest(kind, value), kind=kind, citizen_id=cid))
    return citizen


def find_citizen(session: Session, index: BlindIndex, kind: str, value: str) -> str | None:
    """The pseudonym of the citizen with this email or external reference, if any."""
    return session.execute(
        select(CitizenLookup.citizen_id).where(CitizenLookup.digest == index.digest(kind, value))
    ).scalar_one_or_none()


def erase_citizen(session: Session, vault: Vault, citizen_id: str) -> bool:
    """Crypto-shred the citizen's key, delete their records and identity; keep a tombstone."""
    citizen = session.get(Citizen, citizen_id)
    if citizen is None or citizen.erased_at is not None:
        return False
    vault.shred(session, citizen_id)
    session.execute(delete(RecordBlock).where(RecordBlock.citizen_id == citizen_id))
    session.execute(delete(CitizenLookup).where(CitizenLookup.citizen_id == citizen_id))
    citizen.name_enc = None
    citizen.email_enc = None
    citizen.erased_at = utcnow()
    return True
