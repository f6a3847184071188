"""Guarding API routes with OAuth bearer tokens: ``require_oauth`` and ``current_grant``.

Every API route names what it needs; anything else is denied::

    from civicdata.oauth.protect import current_grant, require_oauth

    @blp.route("/releases")
    @require_oauth("aggregates:request")          # role inferred: department
    def request_release():
        grant = current_grant()
        grant.department                           # e.g. "transport"

    @blp.route("/records/<dataset>")
    @require_oauth(roles=("source",))              # scope depends on the path:
    def ingest(dataset):
        current_grant().require_scope(f"ingest:{dataset}")

    @require_oauth("consent:read")                 # a citizen app acting for a citizen
    def my_consents():
        current_grant().citizen_id                 # the citizen pseudonym

A token passes when it is known, unexpired and unrevoked; its client is
enabled and has one of the route's roles (given, or inferred from the scopes:
see :mod:`civicdata.oauth.scopes`); it carries every scope named; and, for a
token issued through a citizen's consent, that authorization is still active
(:func:`civicdata.oauth.authorizations.authorization_is_active`), so a
withdrawn grant stops its tokens even if a revocation step was missed. Each
decision, allowed or denied, is an audit entry committed at once. Errors are
problem+json with ``WWW-Authenticate: Bearer``: 401 for a missing or invalid
token, 403 for a wrong role or a missing scope.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar, cast

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from flask import Response, abort, g, json, request
from sqlalchemy import select
from werkzeug.http import HTTP_STATUS_CODES

from civicdata.audit import record_event_committed
from civicdata.db import utcnow
from civicdata.errors import PROBLEM_JSON
from civicdata.identity.audit_trail import client_actor
from civicdata.identity.models import Account
from civicdata.models import Citizen
from civicdata.oauth import scopes as scope_lib
from civicdata.oauth.authorizations import authorization_is_active
from civicdata.oauth.credentials import digest
from civicdata.oauth.models import OAuthClient, OAuthToken
from civicdata.request_scope import current_platform, db_session

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class TokenGrant:
    """What the current request's token allows, and on whose behalf."""

    token_id: int
    client_id: str
    role: str
    department: str | None
    account_id: str | None
    citizen_id: str | None
    authorization_id: str | None
    scopes: frozenset[str]

    @property
    def purposes(self) -> list[str]:
        """Purpose ids the citizen granted (``purpose:<id>`` scopes)."""
        return sorted(scope_lib.purposes_in(self.scopes))

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, scope: str) -> None:
        """Abort with 403 (and an audit entry) unless the token carries ``scope``."""
        if scope not in self.scopes:
            _deny(
                InsufficientScopeError(f"This request needs the scope {scope!r}."), self.client_id
            )


class _Validator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> OAuthToken | None:
        return db_session().scalar(
            select(OAuthToken).where(OAuthToken.access_token_hash == digest(token_string))
        )

    def validate_token(
        self, token: OAuthToken | None, scopes: Any, request: Any, roles: Iterable[str] = ()
    ) -> None:
        super().validate_token(token, scopes, request)
        assert token is not None  # checked by the base class
        session, now = db_session(), utcnow()
        client = session.get(OAuthClient, token.client_id)
        if client is None or client.disabled_at is not None:
            raise InvalidTokenError(description="The client of this token is disabled.")
        if token.authorization_id and not authorization_is_active(
            session, token.authorization_id, now
        ):
            raise InvalidTokenError(
                description="The citizen's authorization was withdrawn or expired."
            )
        if token.account_id is not None and not _account_active(token.account_id):
            raise InvalidTokenError(description="The account of this token is closed.")
        if client.role not in roles:
            raise InsufficientScopeError(
                description=f"This route is not for {client.role} clients."
            )


def _account_active(account_id: str) -> bool:
    account = db_session().get(Account, account_id)
    if account is None or account.disabled_at is not None:
        return False
    if account.citizen_id is None:
        return True
    citizen = db_session().get(Citizen, account.citizen_id)
    return citizen is not None and citizen.erased_at is None


class _Protector(ResourceProtector):
    def raise_error_response(self, error: OAuth2Error) -> NoReturn:
        status = error.status_code
        body = {
            "type": "about:blank",
            "title": HTTP_STATUS_CODES.get(status, "Error"),
            "status": status,
            "detail": error.description or error.error,
            "error": error.error,
        }
        headers = [  # RFC 6750 spells the scheme "Bearer"
            (
                name,
                "Bearer" + value[len("bearer") :] if value.lower().startswith("bearer") else value,
            )
            for name, value in error.get_headers()
        ]
        abort(Response(json.dumps(body), status=status, headers=headers, mimetype=PROBLEM_JSON))


protector = _Protector()
protector.register_token_validator(_Validator())


def _deny(error: OAuth2Error, client_id: str | None) -> NoReturn:
    record_event_committed(
        current_platform().sessions,
        actor=client_actor(client_id) if client_id else "anonymous",
        action="api.access",
        resource=f"{request.method} {request.path}",
        decision="denied",
        error=error.error,
    )
    protector.raise_error_response(error)


def require_oauth(scope: str = "", roles: Iterable[str] | None = None) -> Callable[[F], F]:
    """Guard an API route: a valid token, one of ``roles``, every scope in ``scope``.

    ``roles`` defaults to the roles the scopes belong to; naming neither is an
    error, so that nothing is open by accident.
    """
    required = scope_lib.split(scope)
    inferred = {scope_lib.role_for(s) for s in required}
    if None in inferred:
        raise ValueError(f"unknown scope in {scope!r}")
    allowed = tuple(roles) if roles is not None else tuple(sorted(cast(set[str], inferred)))
    if not allowed:
        raise ValueError("require_oauth needs a scope or roles: nothing is open by default")
    if not set(allowed) <= set(scope_lib.CLIENT_ROLES):
        raise ValueError(f"unknown role in {allowed!r}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                token = protector.acquire_token(
                    scopes=[scope] if required else None, roles=list(allowed)
                )
            except OAuth2Error as error:
                _deny(error, _token_client())
            grant = _grant_of(token)
            g.oauth_grant = grant
            record_event_committed(
                current_platform().sessions,
                actor=client_actor(grant.client_id),
                action="api.access",
                resource=f"{request.method} {request.path}",
                subject=grant.citizen_id,
                department=grant.department,
            )
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorator


def _token_client() -> str | None:
    """The client of the presented token, if it is known (for the audit of a refusal)."""
    header = request.headers.get("Authorization", "")
    kind, _, token_string = header.partition(" ")
    if kind.lower() != "bearer" or not token_string:
        return None
    return db_session().scalar(
        select(OAuthToken.client_id).where(
            OAuthToken.access_token_hash == digest(token_string.strip())
        )
    )


def _grant_of(token: OAuthToken) -> TokenGrant:
    session = db_session()
    client = session.get(OAuthClient, token.client_id)
    assert client is not None  # checked by the validator
    account = session.get(Account, token.account_id) if token.account_id else None
    return TokenGrant(
        token_id=token.id,
        client_id=client.client_id,
        role=client.role,
        department=client.department,
        account_id=account.id if account else None,
        citizen_id=account.citizen_id if account else None,
        authorization_id=token.authorization_id,
        scopes=frozenset(scope_lib.split(token.scope)),
    )


def current_grant() -> TokenGrant:
    """The grant of the token that passed ``require_oauth`` for this request."""
    grant = g.get("oauth_grant")
    if grant is None:
        raise RuntimeError("current_grant() outside a route guarded by require_oauth")
    return cast(TokenGrant, grant)
