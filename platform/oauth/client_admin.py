"""Operating registered clients: disable, enable, rotate the secret.

Disabling takes effect at once: the client can no longer authenticate (token,
refresh, revocation, introspection), every token it holds is revoked, and
the API and introspection refuse its tokens even if one were missed. Enabling
does not bring old tokens back; the client asks for new ones. A rotated
secret replaces the old one immediately (the new one is returned once).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from civicdata.oauth.clients import ClientError, RegisteredClient
from civicdata.oauth.credentials import digest, new_secret
from civicdata.oauth.models import OAuthClient, OAuthToken


def _client(session: Session, client_id: str) -> OAuthClient:
    client = session.get(OAuthClient, client_id, with_for_update=True)
    if client is None:
        raise ClientError("client_id", f"no such client {client_id!r}")
    return client


def disable_client(session: Session, client_id: str, now: datetime) -> int:
    """Disable the client and revoke its tokens; returns how many tokens were live."""
    client = _client(session, client_id)
    if client.disabled_at is None:
        client.disabled_at = now
    revoked = session.execute(
        update(OAuthToken)
        .where(OAuthToken.client_id == client_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(revoked, "rowcount", 0) or 0)


def enable_client(session: Session, client_id: str) -> None:
    _client(session, client_id).disabled_at = None


def rotate_secret(session: Session, client_id: str) -> RegisteredClient:
    """Give the client a new secret; the old one stops working now."""
    client = _client(session, client_id)
    secret = new_secret()
    client.secret_hash = digest(secret)
    return RegisteredClient(client=client, secret=secret)
