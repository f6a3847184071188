"""Creating accounts, finding them by email, changing passwords.

A citizen registers with email and password: the platform creates a citizen
pseudonym (identity sealed with the citizen's own data key) and an account
linked to it. Staff accounts (analyst, auditor, operator) are created by an
operator. Every account is found through the blind index of its email.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.citizens import create_citizen, find_citizen
from civicdata.identity.models import Account
from civicdata.identity.passwords import Passwords, password_problem
from civicdata.models import Citizen, CitizenLookup
from civicdata.vault import Vault
from civicdata.vault.blind_index import BlindIndex

STAFF_ROLES = ("analyst", "auditor", "operator")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")


class AccountError(ValueError):
    """An account cannot be created or changed; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def login_digest(index: BlindIndex, email: str) -> bytes:
    """The blind-index digest an account is found by (never the email itself)."""
    return index.digest("email", email)


def find_account(session: Session, index: BlindIndex, email: str) -> Account | None:
    """The active account for ``email``; erased citizens no longer have one."""
    account = session.execute(
        select(Account).where(Account.login_digest == login_digest(index, email))
    ).scalar_one_or_none()
    if account is None or account.disabled_at is not None:
        return None
    if account.citizen_id is not None:
        citizen = session.get(Citizen, account.citizen_id)
        if citizen is None or citizen.erased_at is not None:
            return None
    return account


def _check(email: str, password: str) -> None:
    if not EMAIL.match(email.strip()):
        raise AccountError("email", "is not a valid email address")
    problem = password_problem(password)
    if problem:
        raise AccountError("password", problem)


def _ensure_free(session: Session, index: BlindIndex, email: str) -> bytes:
    digest = login_digest(index, email)
    taken = session.execute(select(Account.id).where(Account.login_digest == digest)).first()
    if taken or find_citizen(session, index, "email", email):
        raise AccountError("email", "is already registered")
    return digest


def new_account_id() -> str:
    return "a-" + secrets.token_hex(12)


def register_citizen(
    session: Session,
    *,
    vault: Vault,
    index: BlindIndex,
    passwords: Passwords,
    email: str,
    password: str,
    name: str | None = None,
) -> Account:
    """Create a citizen pseudonym (sealed email and name) and its account."""
    _check(email, password)
    digest = _ensure_free(session, index, email)
    citizen = create_citizen(
        session, vault, index, email=email.strip(), name=name or None, registered=True
    )
    account = Account(
        id=new_account_id(),
        role="citizen",
        login_digest=digest,
        password_hash=passwords.hash(password),
        citizen_id=citizen.id,
    )
    session.add(account)
    session.flush()
    return account


def link_citizen_account(
    session: Session,
    *,
    vault: Vault,
    index: BlindIndex,
    passwords: Passwords,
    citizen_id: str,
    email: str,
    password: str,
) -> Account:
    """Give an existing citizen (e.g. created by a data source) an account."""
    _check(email, password)
    digest = _ensure_free(session, index, email)
    citizen = session.get(Citizen, citizen_id)
    if citizen is None or citizen.erased_at is not None:
        raise AccountError("citizen_id", f"no such citizen {citizen_id!r}")
    citizen.email_enc = vault.cipher(session, citizen_id).seal(
        email.strip().encode(), "citizens", "email", citizen_id
    )
    citizen.registered = True
    session.add(CitizenLookup(digest=digest, kind="email", citizen_id=citizen_id))
    account = Account(
        id=new_account_id(),
        role="citizen",
        login_digest=digest,
        password_hash=passwords.hash(password),
        citizen_id=citizen_id,
    )
    session.add(account)
    session.flush()
    return account


def create_staff_account(
    session: Session,
    *,
    index: BlindIndex,
    passwords: Passwords,
    role: str,
    email: str,
    password: str,
    department: str | None,
    departments: Collection[str],
) -> Account:
    """Create an analyst (of a department), auditor or operator account."""
    if role not in STAFF_ROLES:
        raise AccountError("role", f"must be one of {', '.join(STAFF_ROLES)}")
    if role == "analyst" and department not in departments:
        raise AccountError("department", f"an analyst needs a known department, not {department!r}")
    if role != "analyst" and department is not None:
        raise AccountError("department", f"a {role} belongs to no department")
    _check(email, password)
    account = Account(
        id=new_account_id(),
        role=role,
        login_digest=_ensure_free(session, index, email),
        password_hash=passwords.hash(password),
        department=department,
    )
    session.add(account)
    session.flush()
    return account


def change_password(
    session: Session, account: Account, passwords: Passwords, new_password: str, now: datetime
) -> None:
    """Set a new password and end every portal session of the account."""
    problem = password_problem(new_password)
    if problem:
        raise AccountError("new_password", problem)
    account.password_hash = passwords.hash(new_password)
    account.password_changed_at = now
    account.session_version += 1
