"""The Authlib authorization server: grants, endpoints, token storage, audit.

:func:`init_oauth` builds one server per app and registers the routes. Tokens
are stored as digests only (:func:`save_token`). :func:`token_response` and
:func:`endpoint_response` run a token, revocation or introspection request
and write its audit entry: issued or refused. Error bodies keep RFC 6749's
``error``/``error_description`` members (clients rely on them) and add the
RFC 9457 ``title``/``status``/``detail`` members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any, cast

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidScopeError
from flask import Flask, Response, current_app, g, request
from werkzeug.http import HTTP_STATUS_CODES

from civicdata.audit import record_event, record_event_committed
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.identity.audit_trail import client_actor
from civicdata.oauth import scopes as scope_lib
from civicdata.oauth.credentials import digest
from civicdata.oauth.endpoints import IntrospectionEndpoint, RevocationEndpoint
from civicdata.oauth.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    OpenIDCode,
    RefreshTokenGrant,
    S256CodeChallenge,
)
from civicdata.oauth.models import OAuthClient, OAuthToken
from civicdata.oauth.scopes import ScopeCatalog, platform_scopes
from civicdata.oauth.signing import USE, IdTokenKey, id_token_key
from civicdata.request_scope import db_session

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_LIFETIME = timedelta(days=30)


class CivicAuthorizationServer(AuthorizationServer):
    def handle_response(self, status_code: int, payload: Any, headers: Any) -> Response:
        if status_code >= 400 and isinstance(payload, dict) and "error" in payload:
            payload = {
                "type": "about:blank",
                "title": HTTP_STATUS_CODES.get(status_code, "Error"),
                "status": status_code,
                "detail": payload.get("error_description") or payload["error"],
                **payload,
            }
        return cast(Response, super().handle_response(status_code, payload, headers))

    def validate_requested_scope(self, scope: str | None) -> None:
        """Unknown scopes are ``invalid_scope`` (the catalog of purposes and datasets decides)."""
        unknown = [s for s in scope_lib.split(scope) if oauth_state().scopes.role_of(s) is None]
        if unknown:
            raise InvalidScopeError(f"Unknown scope: {scope_lib.join(unknown)}.")


@dataclass
class OAuthState:
    """Per-app OAuth services, kept in ``app.extensions["civic_oauth"]``.

    The scope catalog and the ID-token key load on first use, so an app starts
    (health probes, portal) even before ``civic init`` has created the key.
    """

    server: CivicAuthorizationServer
    platform: Platform
    _id_keys: dict[str, IdTokenKey] = field(default_factory=dict)

    @cached_property
    def scopes(self) -> ScopeCatalog:
        return platform_scopes(self.platform.purposes, self.platform.catalog.datasets)

    @property
    def id_key(self) -> IdTokenKey:
        """The ``oidc`` key signing ID tokens now (the history says which)."""
        signer = self.platform.signing.current(USE)
        key = self._id_keys.get(signer.kid)
        if key is None:
            key = self._id_keys[signer.kid] = id_token_key(signer)
        return key


def oauth_state() -> OAuthState:
    return cast(OAuthState, current_app.extensions["civic_oauth"])


def query_client(client_id: str) -> OAuthClient | None:
    client = db_session().get(OAuthClient, client_id)
    return client if client is not None and client.disabled_at is None else None


def save_token(token: dict[str, Any], oauth_request: Any) -> None:
    """Store the new token as digests, linked to the citizen's authorization if any."""
    now = utcnow()
    owner = oauth_request.user  # a TokenOwner, or None for client credentials
    source = oauth_request.authorization_code or oauth_request.refresh_token
    refresh = token.get("refresh_token")
    row = OAuthToken(
        client_id=oauth_request.client.client_id,
        account_id=owner.account.id if owner else None,
        authorization_id=source.authorization_id if source is not None else None,
        access_token_hash=digest(token["access_token"]),
        refresh_token_hash=digest(refresh) if refresh else None,
        scope=token.get("scope", ""),
        issued_at=now,
        expires_at=now + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=now + REFRESH_TOKEN_LIFETIME if refresh else None,
    )
    db_session().add(row)
    g.oauth_issued = {
        "grant_type": oauth_request.payload.grant_type,
        "scope": row.scope,
        "subject": owner.account.citizen_id if owner else None,
        "authorization": row.authorization_id,
    }


def _requesting_client() -> str:
    auth = request.authorization
    if auth is not None and auth.username:
        return auth.username
    return request.form.get("client_id") or "unknown"


def token_response() -> Response:
    """``POST /oauth/token``: issue a token, or refuse it (each audited)."""
    response = oauth_state().server.create_token_response()
    if response.status_code == 200:
        record_event(
            db_session(),
            actor=client_actor(_requesting_client()),
            action="oauth.token",
            **g.pop("oauth_issued"),
        )
        db_session().commit()
        return response
    db_session().rollback()
    record_event_committed(
        current_app.extensions["civic"].sessions,
        actor=client_actor(_requesting_client()),
        action="oauth.token",
        decision="refused",
        grant_type=request.form.get("grant_type"),
        error=(response.get_json(silent=True) or {}).get("error"),
    )
    return response


def endpoint_response(name: str) -> Response:
    """Revocation or introspection, audited; the token itself is never logged."""
    response = oauth_state().server.create_endpoint_response(name)
    action = f"oauth.{'revoke' if name == 'revocation' else 'introspect'}"
    body = response.get_json(silent=True) or {}
    if response.status_code == 200:
        details = {"active": body.get("active")} if name == "introspection" else {}
        record_event(
            db_session(), actor=client_actor(_requesting_client()), action=action, **details
        )
        db_session().commit()
        return response
    db_session().rollback()
    record_event_committed(
        current_app.extensions["civic"].sessions,
        actor=client_actor(_requesting_client()),
        action=action,
        decision="refused",
        error=body.get("error"),
    )
    return response


def build_server(app: Flask, platform: Platform) -> OAuthState:
    """The authorization server with exactly the grants and endpoints the platform allows."""
    app.config.update(
        OAUTH2_REFRESH_TOKEN_GENERATOR=True,
        OAUTH2_TOKEN_EXPIRES_IN={
            "authorization_code": ACCESS_TOKEN_SECONDS,
            "refresh_token": ACCESS_TOKEN_SECONDS,
            "client_credentials": ACCESS_TOKEN_SECONDS,
        },
    )
    server = CivicAuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), OpenIDCode()])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
    return OAuthState(server=server, platform=platform)


def init_oauth(app: Flask) -> None:
    """Build the server for ``app`` and register ``/oauth/*`` and ``/.well-known/*``."""
    from civicdata.oauth import routes

    app.extensions["civic_oauth"] = build_server(app, app.extensions["civic"])
    app.register_blueprint(routes.bp)
