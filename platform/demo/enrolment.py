"""Enrolling many citizens at once: the bulk path behind the demo city.

The same primitives as :func:`civicdata.citizens.create_citizen` (a random
pseudonym, a fresh data key wrapped by the vault, name and email sealed with
that key, keyed blind-index digests for email and external references), but
written with Core ``executemany`` instead of one ORM object at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from civicdata.citizens import new_pseudonym
from civicdata.db import utcnow
from civicdata.models import Citizen, CitizenKey, CitizenLookup
from civicdata.vault import CitizenCipher, Vault
from civicdata.vault.blind_index import BlindIndex


@dataclass(frozen=True, slots=True)
class NewCitizen:
    """Who to enrol: identity (sealed) and external references (blind-indexed)."""

    name: str | None = None
    email: str | None = None
    references: Mapping[str, str] = field(default_factory=dict)


def enrol_citizens(
    session: Session,
    vault: Vault,
    index: BlindIndex,
    people: Sequence[NewCitizen],
    *,
    registered: bool = False,
) -> dict[str, CitizenCipher]:
    """Create citizens in bulk; return their ciphers by new pseudonym, in ``people`` order."""
    now = utcnow()
    citizens: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    lookups: list[dict[str, Any]] = []
    ciphers: dict[str, CitizenCipher] = {}
    for person in people:
        cid = new_pseudonym()
        cipher, key_id, wrapped = vault.generate_key(cid)
        ciphers[cid] = cipher
        name = person.name
        email = person.email
        citizens.append(
            {
                "id": cid,
                "created_at": now,
                "registered": registered,
                "name_enc": None
                if name is None
                else cipher.seal(name.encode(), "citizens", "name", cid),
                "email_enc": None
                if email is None
                else cipher.seal(email.encode(), "citizens", "email", cid),
            }
        )
        keys.append(
            {
                "citizen_id": cid,
                "master_key_id": key_id,
                "wrapped": wrapped,
                "shard": cipher.shard,
                "created_at": now,
            }
        )
        references = dict(person.references)
        if email is not None:
            references["email"] = email
        lookups.extend(
            {"digest": index.digest(kind, value), "kind": kind, "citizen_id": cid}
            for kind, value in references.items()
        )
    if citizens:
        session.execute(insert(Citizen.__table__), citizens)
        session.execute(insert(CitizenKey.__table__), keys)
    if lookups:
        session.execute(insert(CitizenLookup.__table__), lookups)
    return ciphers
