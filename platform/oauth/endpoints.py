"""RFC 7009 revocation and RFC 7662 introspection, over hashed tokens.

A token string is looked up by its digest as an access or a refresh token.
Clients revoke only their own tokens; revoking either half revokes both.
Introspection answers for the client's own tokens (auditor clients for any),
and calls a token inactive once its citizen's authorization no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from sqlalchemy import select, update

from civicdata.db import utcnow
from civicdata.oauth.authorizations import authorization_is_active
from civicdata.oauth.credentials import digest
from civicdata.oauth.grants import AUTH_METHODS, pairwise_subject
from civicdata.oauth.models import OAuthClient, OAuthToken
from civicdata.request_scope import current_platform, db_session


@dataclass(frozen=True)
class MatchedToken:
    """A stored token found by a token string, and which half of it matched."""

    row: OAuthToken
    kind: str  # "access_token" or "refresh_token"

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.check_client(client)

    def is_active(self) -> bool:
        row, now = self.row, utcnow()
        if row.revoked_at is not None:
            return False
        expires = row.expires_at if self.kind == "access_token" else row.refresh_expires_at
        if expires is None or expires <= now:
            return False
        return row.authorization_id is None or authorization_is_active(
            db_session(), row.authorization_id, now
        )


def find_token(token_string: str, hint: str | None) -> MatchedToken | None:
    hashed = digest(token_string)
    kinds = (
        ["refresh_token", "access_token"]
        if hint == "refresh_token"
        else ["access_token", "refresh_token"]
    )
    for kind in kinds:
        column = (
            OAuthToken.access_token_hash
            if kind == "access_token"
            else OAuthToken.refresh_token_hash
        )
        row = db_session().scalar(select(OAuthToken).where(column == hashed))
        if row is not None:
            return MatchedToken(row, kind)
    return None


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> MatchedToken | None:
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token: MatchedToken, request: Any) -> None:
        db_session().execute(
            update(OAuthToken)
            .where(OAuthToken.id == token.row.id, OAuthToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


class IntrospectionEndpoint(_IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> MatchedToken | None:
        return find_token(token_string, token_type_hint)

    def check_permission(self, token: MatchedToken, client: OAuthClient, request: Any) -> bool:
        return token.check_client(client) or client.role == "auditor"

    def create_introspection_payload(self, token: MatchedToken | None) -> dict[str, Any]:
        if token is None or not token.is_active():
            return {"active": False}
        return self.introspect_token(token)

    def introspect_token(self, token: MatchedToken) -> dict[str, Any]:
        row = token.row
        client = db_session().get(OAuthClient, row.client_id)
        expires = row.expires_at if token.kind == "access_token" else row.refresh_expires_at
        return {
            "active": True,
            "client_id": row.client_id,
            "token_type": "Bearer",
            "scope": row.scope,
            "sub": pairwise_subject(row.client_id, row.account_id)
            if row.account_id
            else row.client_id,
            "iat": int(row.issued_at.timestamp()),
            "exp": int(expires.timestamp()) if expires else None,
            "iss": current_platform().config.public_url,
            "role": client.role if client else None,
            "department": client.department if client else None,
        }
