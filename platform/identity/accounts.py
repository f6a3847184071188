"""Creating accounts, finding them by email, changing passwords.

A citizen registers with email and password: the platform creates a citizen
pseudonym (identity sealed with the citizen's own data key) and an account
linked to it. Staff accounts (analyst, auditor, operator) are created by an
operator. Every account is found through the blind index of its email.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.citizens import create_citizen, find_citizen
from civicdata.db import utcnow
from civicdata.i18n import gettext
from civicdata.identity.models import Account
from civicdata.identity.password_policy import password_problem, personal_words
from civicdata.identity.passwords import Passwords
from civicdata.models import Citizen, CitizenLookup
from civicdata.vault import Vault
from civicdata.vault.blind_index import BlindIndex

STAFF_ROLES = ("analyst", "auditor", "operator")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")
MAX_NAME = 120


class AccountError(ValueError):
    """An account cannot be created or changed; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class EmailTaken(AccountError):
    """The email belongs to an account already (never shown to the person registering)."""

    def __init__(self) -> None:
        super().__init__("email", "is already registered")


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


def _check(email: str, password: str, name: str | None = None) -> None:
    if not EMAIL.match(email.strip()):
        raise AccountError("email", gettext("This is not a valid email address."))
    problem = password_problem(password, personal_words(email, name))
    if problem:
        raise AccountError("password", problem)


def _ensure_free(session: Session, index: BlindIndex, email: str) -> bytes:
    digest = login_digest(index, email)
    taken = session.execute(select(Account.id).where(Account.login_digest == digest)).first()
    if taken or find_citizen(session, index, "email", email):
        raise EmailTaken()
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
    """Create a citizen pseudonym (sealed email and name) and its account.

    The account's email is unverified until :func:`mark_email_verified`.
    """
    _check(email, password, name)
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
    """Give an existing citizen (e.g. created by a data source) an account.

    An operator links it on the citizen's behalf, so the email counts as verified.
    """
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
        email_verified_at=utcnow(),
    )
    session.add(account)
    session.flush()
    return account


def staff_name(name: str) -> str:
    """A staff member's display name as stored: trimmed, inner spaces collapsed.

    Raises :class:`AccountError` (field ``name``) for an empty or overlong name
    or one holding control or formatting characters.

    >>> staff_name("  Ana   Pereira ")
    'Ana Pereira'
    """
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise AccountError("name", "must not be empty")
    if len(cleaned) > MAX_NAME:
        raise AccountError("name", f"must be at most {MAX_NAME} characters")
    if any(unicodedata.category(c).startswith("C") for c in cleaned):
        raise AccountError("name", "must not contain control or formatting characters")
    return cleaned


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
    name: str | None = None,
) -> Account:
    """Create an analyst (of a department), auditor or operator account.

    ``name`` is the display name auditors see beside the account's id in the
    log (the log itself holds only the id); the password must not contain it.
    """
    if role not in STAFF_ROLES:
        raise AccountError("role", f"must be one of {', '.join(STAFF_ROLES)}")
    if role == "analyst" and department not in departments:
        raise AccountError("department", f"an analyst needs a known department, not {department!r}")
    if role != "analyst" and department is not None:
        raise AccountError("department", f"a {role} belongs to no department")
    display_name = None if name is None else staff_name(name)
    _check(email, password, display_name)
    account = Account(
        id=new_account_id(),
        role=role,
        login_digest=_ensure_free(session, index, email),
        password_hash=passwords.hash(password),
        department=department,
        display_name=display_name,
        email_verified_at=utcnow(),  # an operator vouches for staff addresses
    )
    session.add(account)
    session.flush()
    return account


def staff_accounts(session: Session) -> list[Account]:
    """Every staff account (no resident's), by role then display name."""
    query = select(Account).where(Account.citizen_id.is_(None), Account.role.in_(STAFF_ROLES))
    return sorted(session.scalars(query), key=lambda a: (a.role, a.display_name or "", a.id))


def set_staff_name(account: Account, name: str) -> None:
    """Give a staff account its display name; citizens stay pseudonymous (refused)."""
    if account.citizen_id is not None or account.role not in STAFF_ROLES:
        raise AccountError("email", "is a resident's account: residents have no display name")
    account.display_name = staff_name(name)


def account_personal_words(session: Session, vault: Vault, account: Account) -> list[str]:
    """The words from an account's own name (a citizen's sealed email and name, a staff
    member's display name) that a password must avoid."""
    if account.citizen_id is None:
        return personal_words(None, account.display_name)
    citizen = session.get(Citizen, account.citizen_id)
    if citizen is None or citizen.erased_at is not None:
        return []
    cipher = vault.cipher(session, citizen.id)
    opened = {
        column: cipher.open(sealed, "citizens", column, citizen.id).decode()
        for column, sealed in (("email", citizen.email_enc), ("name", citizen.name_enc))
        if sealed is not None
    }
    return personal_words(opened.get("email"), opened.get("name"))


def change_password(
    session: Session,
    account: Account,
    passwords: Passwords,
    new_password: str,
    now: datetime,
    *,
    index: BlindIndex,
    personal: Collection[str] = (),
) -> None:
    """Set a new password and end every portal session of the account.

    ``personal`` (see :func:`account_personal_words`) are words it must not contain;
    a password equal to the account's own email is refused in any case.
    """
    problem = password_problem(new_password, personal)
    if problem is None and login_digest(index, new_password) == account.login_digest:
        problem = gettext("The password must not contain your email address or name.")
    if problem:
        raise AccountError("new_password", problem)
    account.password_hash = passwords.hash(new_password)
    account.password_changed_at = now
    account.session_version += 1


def mark_email_verified(account: Account, now: datetime) -> None:
    """The account's owner proved they read mail at its address."""
    if account.email_verified_at is None:
        account.email_verified_at = now
