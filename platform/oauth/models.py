"""OAuth clients, citizens' authorizations, authorization codes and tokens.

Secrets are stored as SHA-256 digests only (:mod:`.credentials`). Codes and
tokens issued through a citizen's consent point at the authorization
(``oauth_authorizations``) they came from, so withdrawing it revokes them and
a token whose authorization is no longer active is refused anyway.
"""

from __future__ import annotations

import time
from datetime import datetime

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicdata.db import Base, utcnow
from civicdata.identity.models import Account  # noqa: F401  (the accounts table, for the foreign keys)
from civicdata.oauth import scopes as scope_lib
from civicdata.oauth.credentials import matches

CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class OAuthClient(Base, ClientMixin):
    """A registered client; its role decides its grant types and possible scopes."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    @property
    def scopes(self) -> list[str]:
        return scope_lib.split(self.scope)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # every authorization request names its redirect URI

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope if the client is registered for all of it, else ``None``.

        ``None`` makes Authlib answer ``invalid_scope`` instead of silently
        narrowing the request. No scope asked means every registered scope.
        """
        if not scope:
            return self.scope
        requested = scope_lib.split(scope)
        if not set(requested) <= set(self.scopes):
            return None
        return scope_lib.join(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact string match only

    def check_client_secret(self, client_secret: str) -> bool:
        return matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return self.role == "app" and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if self.role == "app":
            return grant_type in ("authorization_code", "refresh_token")
        return grant_type == "client_credentials"


class OAuthAuthorization(Base):
    """A citizen's authorization of an app, given on the consent screen.

    The minimal record until the consent domain records consent events
    through :func:`civicdata.oauth.authorizations.authorization_is_active`.
    """

    __tablename__ = "oauth_authorizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    citizen_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    notices: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # purpose -> notice hash
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    @property
    def purposes(self) -> list[str]:
        return scope_lib.purposes_in(scope_lib.split(self.scope))


class OAuthCode(Base, AuthorizationCodeMixin):
    """A single-use authorization code, bound to client, redirect URI and PKCE challenge."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    authorization_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_authorizations.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


class OAuthToken(Base, TokenMixin):
    """An access token and, for apps, its refresh token (both stored as digests)."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    authorization_id: Mapped[str | None] = mapped_column(
        ForeignKey("oauth_authorizations.id", ondelete="CASCADE"), index=True
    )
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]  # access and refresh token revoked
    rotated_at: Mapped[datetime | None]  # refresh token exchanged for a new one

    def check_client(self, client: ClientMixin) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def get_expires_at(self) -> int:
        return int(self.expires_at.timestamp())

    def is_expired(self) -> bool:
        return self.expires_at.timestamp() <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None
