"""Registering OAuth clients (``civic clients create`` and the demo city).

A client has one role. Apps (citizen-facing, authorization code + PKCE) need
exact redirect URIs: https, or http on a loopback address for development.
Departments, data sources and auditors use client credentials and have none.
The secret is returned once and stored only as a digest.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdata.oauth.credentials import digest, new_secret
from civicdata.oauth.models import OAuthClient
from civicdata.oauth.scopes import CLIENT_ROLES, ScopeCatalog, join

LOOPBACK_HOSTS = ("localhost",)


class ClientError(ValueError):
    """A client cannot be registered; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class RegisteredClient:
    client: OAuthClient
    secret: str  # shown once, never stored


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be registered as a redirect URI, or ``None``."""
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return f"{uri!r} must not have a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None
    return f"{uri!r} must be an https URL (or http on a loopback address)"


def register_client(
    session: Session,
    *,
    scope_catalog: ScopeCatalog,
    departments: Collection[str],
    name: str,
    role: str,
    scopes: Sequence[str],
    redirect_uris: Sequence[str] = (),
    department: str | None = None,
) -> RegisteredClient:
    """Validate and store a new client; the plain secret is only in the result."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ClientError("name", "must have 1 to 120 characters")
    if role not in CLIENT_ROLES:
        raise ClientError("role", f"must be one of {', '.join(CLIENT_ROLES)}")
    if not scopes:
        raise ClientError("scope", "at least one scope is needed")
    problems = scope_catalog.problems_for(role, scopes)
    if problems:
        raise ClientError("scope", "; ".join(problems))
    if role == "app":
        if not redirect_uris:
            raise ClientError("redirect_uri", "an app needs at least one redirect URI")
        for uri in redirect_uris:
            problem = redirect_uri_problem(uri)
            if problem:
                raise ClientError("redirect_uri", problem)
    elif redirect_uris:
        raise ClientError("redirect_uri", f"a {role} client uses client credentials, not redirects")
    if role == "department" and department is None:
        raise ClientError("department", "a department client needs --department")
    if role == "auditor" and department is not None:
        raise ClientError("department", "an auditor client belongs to no department")
    if department is not None and department not in departments:
        raise ClientError("department", f"unknown department {department!r}")
    secret = new_secret()
    client = OAuthClient(
        client_id="cl-" + secrets.token_hex(10),
        name=name,
        role=role,
        department=department,
        secret_hash=digest(secret),
        scope=join(scopes),
        redirect_uris=list(dict.fromkeys(redirect_uris)),
    )
    session.add(client)
    session.flush()
    return RegisteredClient(client=client, secret=secret)


def client_names(session: Session, client_ids: Iterable[str]) -> dict[str, str]:
    """The names of the registered clients among ``client_ids``, by id (others are left out)."""
    wanted = {c for c in client_ids if c}
    if not wanted:
        return {}
    found = session.execute(
        select(OAuthClient.client_id, OAuthClient.name).where(OAuthClient.client_id.in_(wanted))
    )
    return {client_id: name for client_id, name in found}
