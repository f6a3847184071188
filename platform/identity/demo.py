"""Demo sign-ins for the demo city: accounts, OAuth clients, and a credentials file.

DEVELOPMENT ONLY. The demo passwords below are public knowledge and are used
only when ``CIVIC_ENV=development``; anywhere else every demo account gets a
random password (written to the credentials file). ``civic demo`` refuses to
run outside development unless told explicitly, on a database that holds no
real account (:func:`real_accounts`), and production start-up refuses a
database that holds demo accounts (:func:`demo_accounts_present`). The demo
generator calls::

    credentials = seed_demo_identity(platform, session, citizen_ids)  # then commits

which creates citizen accounts for the first demo citizens (citizen1@demo.city
...), an analyst per department (analyst@<department>.demo.city), an auditor
and an operator, each staff account with a made-up display name, plus four OAuth clients: a transport department client
(``aggregates:request``), a data-source client (``ingest:trips``), an auditor
client (``audit:read``) and a sample third-party citizen app with a loopback
redirect URI. Client secrets are new on every run. Everything is written to
``<instance>/demo-credentials.json`` (mode 0600), which ``civic serve`` reads to
print how to sign in. Running it again keeps existing accounts and gives the
demo clients fresh secrets.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.accounts import (
    change_password,
    create_staff_account,
    find_account,
    link_citizen_account,
    login_digest,
    set_staff_name,
)
from civicdata.identity.models import Account
from civicdata.identity.passwords import Passwords
from civicdata.oauth.clients import register_client
from civicdata.oauth.credentials import digest, new_secret
from civicdata.oauth.models import OAuthClient
from civicdata.oauth.scopes import platform_scopes

CREDENTIALS_FILE = "demo-credentials.json"
CITIZEN_PASSWORD = "demo-citizen-password"  # noqa: S105 - development-only demo password
STAFF_PASSWORD = "demo-staff-password"  # noqa: S105 - development-only demo password
DEMO_APP_REDIRECT_URI = "http://127.0.0.1:8400/callback"
DEMO_CITIZEN_ACCOUNTS = 3
# Made-up display names of the demo staff (no real person behind them): analysts
# take them in their department's catalog order, then the auditor and operator.
DEMO_STAFF_NAMES = (
    "Ana Pereira",
    "Kofi Mensah",
    "Leila Haddad",
    "Jonas Eriksson",
    "Priya Patel",
    "Mateo Rossi",
    "Aiko Tanaka",
    "Olga Novak",
    "Farid Usman",
    "Sofia Garcia",
)
DEMO_AUDITOR_NAME = "Greta Jensen"
DEMO_OPERATOR_NAME = "Omar Larsen"


@dataclass
class DemoCredentials:
    """Every demo sign-in; ``path`` is where they were written."""

    path: Path
    citizens: list[dict[str, str]] = field(default_factory=list)
    analysts: dict[str, dict[str, str]] = field(default_factory=dict)
    auditor: dict[str, str] = field(default_factory=dict)
    operator: dict[str, str] = field(default_factory=dict)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        data["warning"] = "Development-only demo credentials. Never use them in production."
        return data


def _demo_clients(platform: Platform) -> dict[str, dict[str, Any]]:
    app_scopes = ["openid", "profile", "consent:read", "consent:write"]
    app_scopes += [
        f"purpose:{p}"
        for p in ("transport-planning", "energy-efficiency")
        if p in platform.purposes
    ]
    return {
        "department": {
            "name": "Transport planning desk",
            "role": "department",
            "department": "transport",
            "scopes": ["aggregates:request"],
        },
        "source": {"name": "Transit operator feed", "role": "source", "scopes": ["ingest:trips"]},
        "auditor": {"name": "City audit office", "role": "auditor", "scopes": ["audit:read"]},
        "app": {
            "name": "Riverside Mobility (sample app)",
            "role": "app",
            "scopes": app_scopes,
            "redirect_uris": [DEMO_APP_REDIRECT_URI],
        },
    }


def _client(session: Session, platform: Platform, spec: dict[str, Any]) -> dict[str, Any]:
    existing = session.scalar(
        select(OAuthClient).where(
            OAuthClient.name == spec["name"], OAuthClient.role == spec["role"]
        )
    )
    if existing is not None:
        secret = new_secret()
        existing.secret_hash = digest(secret)
        client = existing
    else:
        registered = register_client(
            session,
            scope_catalog=platform_scopes(platform.purposes, platform.catalog.datasets),
            departments=set(platform.catalog.departments),
            name=spec["name"],
            role=spec["role"],
            scopes=spec["scopes"],
            redirect_uris=spec.get("redirect_uris", ()),
            department=spec.get("department"),
        )
        client, secret = registered.client, registered.secret
    return {
        "name": client.name,
        "client_id": client.client_id,
        "client_secret": secret,
        "role": client.role,
        "department": client.department,
        "scope": client.scope,
        "redirect_uris": list(client.redirect_uris),
    }


def _staff(platform: Platform) -> list[tuple[str, str, str | None, str]]:
    """(role, email, department, display name) of every demo staff account."""
    staff = [
        (
            "analyst",
            f"analyst@{d}.demo.city",
            d,
            DEMO_STAFF_NAMES[i] if i < len(DEMO_STAFF_NAMES) else f"{d.title()} Analyst",
        )
        for i, d in enumerate(platform.catalog.departments)
    ]
    return [
        *staff,
        ("auditor", "auditor@demo.city", None, DEMO_AUDITOR_NAME),
        ("operator", "operator@demo.city", None, DEMO_OPERATOR_NAME),
    ]


def demo_emails(platform: Platform) -> list[str]:
    """The email of every account the demo creates."""
    citizens = [f"citizen{n}@demo.city" for n in range(1, DEMO_CITIZEN_ACCOUNTS + 1)]
    return citizens + [email for _, email, _, _ in _staff(platform)]


def demo_accounts_present(session: Session, platform: Platform) -> list[str]:
    """The demo emails that have an account in this database (production refuses any)."""
    index = platform.keys.blind_index
    digests = {login_digest(index, email): email for email in demo_emails(platform)}
    found = session.scalars(select(Account.login_digest).where(Account.login_digest.in_(digests)))
    return sorted(digests[digest] for digest in found)


def real_accounts(session: Session, platform: Platform) -> int:
    """How many accounts are not demo ones: a database with any is a production one."""
    total = session.scalar(select(func.count()).select_from(Account)) or 0
    return total - len(demo_accounts_present(session, platform))


class DemoAccountsInProduction(Exception):
    """A production instance was started on a database that holds demo accounts."""


def refuse_demo_accounts_in_production(platform: Platform) -> None:
    """Production start-up: refuse a database holding demo sign-ins (public or printed)."""
    if not platform.config.production:
        return
    with platform.sessions() as session:
        found = demo_accounts_present(session, platform)
    if found:
        raise DemoAccountsInProduction(
            f"the database holds {len(found)} demo account(s) ({', '.join(found[:3])}, ...) "
            "whose passwords were printed or are public; production refuses to start on it. "
            "Seed demo cities only in development databases."
        )


def _password(platform: Platform, fixed: str) -> str:
    """The public demo password in development; a random one anywhere else."""
    return fixed if platform.config.env == "development" else secrets.token_urlsafe(18)


def _sign_in(session: Session, platform: Platform, email: str, fixed: str) -> dict[str, str]:
    """The demo sign-in of an existing account; outside development it gets a new password."""
    password = _password(platform, fixed)
    account = find_account(session, platform.keys.blind_index, email)
    if account is not None and password != fixed:
        change_password(
            session,
            account,
            Passwords(platform.config),
            password,
            utcnow(),
            index=platform.keys.blind_index,
        )
    return {"email": email, "password": password}


def seed_demo_identity(
    platform: Platform, session: Session, citizen_ids: Sequence[str]
) -> DemoCredentials:
    """Create the demo accounts and clients in ``session`` (the caller commits)."""
    index, passwords = platform.keys.blind_index, Passwords(platform.config)
    credentials = DemoCredentials(path=platform.config.instance_path / CREDENTIALS_FILE)
    for n, citizen_id in enumerate(citizen_ids[:DEMO_CITIZEN_ACCOUNTS], start=1):
        email = f"citizen{n}@demo.city"
        sign_in = _sign_in(session, platform, email, CITIZEN_PASSWORD)
        if find_account(session, index, email) is None:
            link_citizen_account(
                session,
                vault=platform.vault,
                index=index,
                passwords=passwords,
                citizen_id=citizen_id,
                email=email,
                password=sign_in["password"],
            )
        credentials.citizens.append(sign_in)
    for role, email, department, name in _staff(platform):
        entry = _sign_in(session, platform, email, STAFF_PASSWORD)
        existing = find_account(session, index, email)
        if existing is None:
            create_staff_account(
                session,
                index=index,
                passwords=passwords,
                role=role,
                email=email,
                password=entry["password"],
                department=department,
                departments=set(platform.catalog.departments),
                name=name,
            )
        elif existing.display_name is None:  # seeded before staff had names
            set_staff_name(existing, name)
        entry["name"] = name
        if role == "analyst":
            credentials.analysts[str(department)] = entry
        else:
            setattr(credentials, role, entry)
    for key, spec in _demo_clients(platform).items():
        credentials.clients[key] = _client(session, platform, spec)
    session.flush()
    _write_private_json(credentials.path, credentials.document())
    return credentials


def _write_private_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2)


def read_demo_credentials(instance_path: Path) -> dict[str, Any] | None:
    """The credentials file written by :func:`seed_demo_identity`, if there is one."""
    path = instance_path / CREDENTIALS_FILE
    if not path.exists():
        return None
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document
