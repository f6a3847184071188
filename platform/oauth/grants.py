"""The grants the authorization server allows, tightened beyond Authlib's defaults.

- Authorization code (apps only) with PKCE required and S256 only: Authlib's
  stock ``CodeChallenge`` accepts ``plain`` and lets a request without a
  challenge through; :class:`S256CodeChallenge` closes both.
- Codes are claimed atomically in a transaction of their own (single use even
  under concurrent requests and even when the exchange then fails) and expire
  after :data:`CODE_LIFETIME`.
- Refresh tokens rotate: each is exchanged once; replaying a rotated one
  revokes every token of the same authorization (RFC 9700 4.14).
- Client credentials (departments, sources, auditors) answer ``invalid_scope``
  for any scope the client is not registered for, never a narrowed token.
- OpenID Connect ID tokens are RS256-signed with the key published at
  ``/oauth/jwks``; ``sub`` is pairwise (differs per app).

There is no implicit and no password grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core import grants as oidc_grants
from joserfc.jwk import RSAKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicdata.db import transaction, utcnow
from civicdata.identity.models import Account
from civicdata.models import Citizen
from civicdata.oauth import scopes as scope_lib
from civicdata.oauth.authorizations import authorization_is_active
from civicdata.oauth.credentials import digest
from civicdata.oauth.models import OAuthAuthorization, OAuthClient, OAuthCode, OAuthToken
from civicdata.oauth.signing import ALGORITHM
from civicdata.request_scope import current_platform, db_session

CODE_LIFETIME = timedelta(minutes=5)
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class ConsentGiven:
    """What the consent screen hands to Authlib as the "grant user"."""

    account: Account
    authorization: OAuthAuthorization
    auth_time: int


@dataclass(frozen=True)
class TokenOwner:
    """The citizen a code or refresh token was issued for, seen by one client."""

    account: Account
    client_id: str


def pairwise_subject(client_id: str, account_id: str) -> str:
    """The OpenID ``sub`` of an account for one client: keyed, stable, unlinkable across apps."""
    index = current_platform().keys.blind_index
    return "u-" + index.digest("oidc-sub", f"{client_id}\x00{account_id}").hex()[:40]


def user_claims(owner: TokenOwner, scope: str) -> UserInfo:
    """Claims for the ID token and ``/oauth/userinfo``: ``sub``, and ``name`` with ``profile``."""
    claims = UserInfo(sub=pairwise_subject(owner.client_id, owner.account.id))
    citizen_id = owner.account.citizen_id
    if "profile" in scope_lib.split(scope) and citizen_id is not None:
        citizen = db_session().get(Citizen, citizen_id)
        if citizen is not None and citizen.name_enc is not None:
            cipher = current_platform().vault.cipher(db_session(), citizen_id)
            claims["name"] = cipher.open(citizen.name_enc, "citizens", "name", citizen_id).decode()
    return claims


class S256CodeChallenge(CodeChallenge):
    """PKCE for every authorization request, ``S256`` only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (Authlib's class attribute)
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}  # noqa: RUF012

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        given: ConsentGiven = request.user
        now = utcnow()
        db_session().add(
            OAuthCode(
                code_hash=digest(code),
                client_id=request.client.client_id,
                account_id=given.account.id,
                authorization_id=given.authorization.id,
                redirect_uri=request.payload.redirect_uri,
                scope=given.authorization.scope,  # what the citizen granted, maybe less than asked
                nonce=request.payload.data.get("nonce"),
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method="S256",
                auth_time=given.auth_time,
                issued_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: OAuthClient) -> OAuthCode | None:
        """Claim the code: valid, unexpired, this client's, and never claimed before.

        A code presented again after it was claimed means it leaked: every
        token issued under its authorization is revoked (RFC 6749 §4.1.2).
        """
        now, code_hash = utcnow(), digest(code)
        with transaction(current_platform().sessions) as own:
            claimed = own.execute(
                update(OAuthCode)
                .where(
                    OAuthCode.code_hash == code_hash,
                    OAuthCode.client_id == client.client_id,
                    OAuthCode.used_at.is_(None),
                    OAuthCode.expires_at > now,
                )
                .values(used_at=now)
            ).rowcount
            if claimed != 1:
                _revoke_after_replay(own, code_hash, client.client_id, now)
        return db_session().get(OAuthCode, code_hash) if claimed == 1 else None

    def delete_authorization_code(self, authorization_code: OAuthCode) -> None:
        """Nothing left to do: the code was marked used when it was claimed."""

    def authenticate_user(self, authorization_code: OAuthCode) -> TokenOwner | None:
        if not authorization_is_active(db_session(), authorization_code.authorization_id, utcnow()):
            return None
        account = db_session().get(Account, authorization_code.account_id)
        return TokenOwner(account, authorization_code.client_id) if account else None


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        session, now = db_session(), utcnow()
        token = session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_token_hash == digest(refresh_token))
        )
        if token is None:
            return None
        if token.rotated_at is not None and token.authorization_id is not None:
            _revoke_family(token.authorization_id)  # a rotated refresh token came back: stolen?
            return None
        if token.revoked_at is not None or token.refresh_expires_at is None:
            return None
        if token.refresh_expires_at <= now:
            return None
        if token.authorization_id and not authorization_is_active(
            session, token.authorization_id, now
        ):
            return None
        return token

    def authenticate_user(self, refresh_token: OAuthToken) -> TokenOwner | None:
        account = (
            db_session().get(Account, refresh_token.account_id)
            if refresh_token.account_id
            else None
        )
        return TokenOwner(account, refresh_token.client_id) if account else None

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        """Retire the exchanged token; losing a race with a concurrent exchange fails."""
        now = utcnow()
        retired = (
            db_session()
            .execute(
                update(OAuthToken)
                .where(OAuthToken.id == refresh_token.id, OAuthToken.rotated_at.is_(None))
                .values(rotated_at=now, revoked_at=now)
            )
            .rowcount
        )
        if retired != 1:
            raise InvalidGrantError("The refresh token was already used.")


def _revoke_family(authorization_id: str) -> None:
    with transaction(current_platform().sessions) as own:
        own.execute(
            update(OAuthToken)
            .where(OAuthToken.authorization_id == authorization_id, OAuthToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = self.request.payload.scope
        if self.client.get_allowed_scope(requested) is None:
            extra = set(scope_lib.split(requested)) - set(self.client.scopes)
            raise InvalidScopeError(
                f"The client is not registered for scope: {scope_lib.join(sorted(extra))}."
            )


class OpenIDCode(oidc_grants.OpenIDCode):
    """ID tokens for ``openid`` requests, signed RS256 with the published key."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        found = db_session().scalar(
            select(OAuthCode.code_hash).where(
                OAuthCode.nonce == nonce, OAuthCode.client_id == request.payload.client_id
            )
        )
        return found is not None

    def resolve_client_private_key(self, client: OAuthClient) -> RSAKey:
        from civicdata.oauth.server import oauth_state

        return oauth_state().id_key.key

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return ALGORITHM

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        from civicdata.oauth.server import oauth_state

        return {"alg": ALGORITHM, "kid": oauth_state().id_key.kid}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        return {"iss": current_platform().config.public_url, "aud": [client.client_id]}

    def generate_user_info(self, user: TokenOwner, scope: str) -> UserInfo:
        return user_claims(user, scope)


def _revoke_after_replay(session: Session, code_hash: str, client_id: str, now: datetime) -> None:
    """Revoke the tokens of a code's authorization if the code had already been claimed."""
    authorization_id = session.execute(
        select(OAuthCode.authorization_id).where(
            OAuthCode.code_hash == code_hash,
            OAuthCode.client_id == client_id,
            OAuthCode.used_at.is_not(None),
        )
    ).scalar_one_or_none()
    if authorization_id is None:
        return
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.authorization_id == authorization_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
