"""Who an actor id is, for auditors: clients and staff by name, role and department.

Entries name actors by id only (``client:<id>``, a staff account id, a citizen
pseudonym), so the signed log carries no personal data. The auditor's views
describe the ids from the directory the platform keeps: a client's name, role
and department; a staff account's display name, role and department. Citizens
stay pseudonymous. Auditors may also search by a client's or a staff member's
name (case-insensitive, any part of it) or a staff member's email, which
resolve to the actor ids the log holds (an email through its blind-index
digest, never stored in clear).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.identity.accounts import login_digest
from civicdata.identity.models import Account
from civicdata.oauth.models import OAuthClient
from civicdata.vault.blind_index import BlindIndex

CLIENT_PREFIX = "client:"
MAX_MATCHES = 200


@dataclass(frozen=True, slots=True)
class ActorInfo:
    """An actor as the directory knows it; ``kind`` is client, staff, citizen or unknown."""

    kind: str
    name: str | None = None
    role: str | None = None
    department: str | None = None

    def label(self) -> str:
        """``Transport app (department client, transport)``, ``Ana Pereira (analyst account,
        transport)``, ``auditor account``, ``citizen``."""
        what = " ".join(p for p in (self.role, "client" if self.kind == "client" else None) if p)
        if self.kind == "staff":
            what = f"{self.role} account"
        detail = ", ".join(p for p in (what, self.department) if p)
        if self.name:
            return f"{self.name} ({detail})" if detail else self.name
        return detail or self.kind


def describe_actors(session: Session, actors: Iterable[str]) -> dict[str, ActorInfo]:
    """What the directory says about each actor id (two queries for any number of ids)."""
    wanted = set(actors)
    clients = {a.removeprefix(CLIENT_PREFIX) for a in wanted if a.startswith(CLIENT_PREFIX)}
    found: dict[str, ActorInfo] = {}
    if clients:
        for client in session.scalars(
            select(OAuthClient).where(OAuthClient.client_id.in_(clients))
        ):
            found[CLIENT_PREFIX + client.client_id] = ActorInfo(
                "client", client.name, client.role, client.department
            )
    others = wanted - set(found) - {CLIENT_PREFIX + c for c in clients}
    if others:
        for account in session.scalars(select(Account).where(Account.id.in_(others))):
            if account.citizen_id is None:
                found[account.id] = ActorInfo(
                    "staff", account.display_name, account.role, account.department
                )
        for account in session.scalars(select(Account).where(Account.citizen_id.in_(others))):
            found[str(account.citizen_id)] = ActorInfo("citizen")
    return {actor: found.get(actor, ActorInfo("unknown")) for actor in wanted}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _contains(name: str | None, needle: str) -> bool:
    return name is not None and _fold(needle) in _fold(name)


def actors_matching(session: Session, index: BlindIndex, text: str) -> tuple[str, ...]:
    """Actor ids an auditor's search means: the id itself, staff by email, and clients
    and staff whose name contains the text (case-insensitive)."""
    matches = [text]
    needle = " ".join(text.split())
    if "@" in needle:
        digest = login_digest(index, text.strip())
        staff = session.scalars(
            select(Account.id).where(Account.login_digest == digest, Account.citizen_id.is_(None))
        )
        matches += list(staff)
    elif needle:
        # Matched here rather than with SQL's lower(), which folds only ASCII on
        # SQLite: "élodie" must find "Élodie". Clients and staff are few.
        clients = session.execute(select(OAuthClient.client_id, OAuthClient.name))
        matches += [CLIENT_PREFIX + c for c, name in clients if _contains(name, needle)][
            :MAX_MATCHES
        ]
        named = session.execute(
            select(Account.id, Account.display_name).where(
                Account.citizen_id.is_(None), Account.display_name.is_not(None)
            )
        )
        matches += [a for a, name in named if _contains(name, needle)][:MAX_MATCHES]
    return tuple(dict.fromkeys(matches))
