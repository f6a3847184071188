"""Request rate limits with Flask-Limiter: per client address and per OAuth client.

Sign-in, registration and password-reset forms are limited per client
address (form posts only), the public transparency pages per client address
with the API's limit; ``/oauth/token`` and every ``/api/v1`` route per
client address and, separately, per OAuth client (the Basic-auth or form
``client_id`` at the token endpoint, the bearer token's client on the API).
Limits and storage come from :class:`civicdata.config.RateLimits`; with a
``redis://`` storage they hold across every worker and node of a city.

A refused request gets 429 with ``Retry-After`` (seconds), rendered by
:mod:`civicdata.errors` as problem+json on the API and OAuth endpoints. The
per-account sign-in throttle (:mod:`civicdata.identity.throttle`) stays: this
one stops one address trying many accounts, that one many addresses trying one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter
from sqlalchemy import select

from civicdata.api import API_PREFIX
from civicdata.config import RateLimits
from civicdata.oauth.credentials import digest
from civicdata.oauth.models import OAuthToken
from civicdata.request_scope import db_session

EXTENSION = "civic_limiter"
# Portal form endpoints limited per client address, with the setting that limits them.
FORM_ENDPOINTS = {
    "auth.login": "sign_in",
    "auth.register": "register",
    "account_email.reset_request": "reset",
    "account_email.reset_password": "reset",
    "account_email.verify": "reset",
    "account_email.password_strength": "api",
}
# Public pages that read the database for anonymous visitors, limited per client
# address like the API (their JSON mirror is an API route, limited with it).
PUBLIC_PAGES = (
    "public_transparency.page",
    "public_transparency.release",
    "public_transparency.feed",
)
TOKEN_ENDPOINT = "oauth.token"  # noqa: S105 - an endpoint name


def client_address() -> str:
    """The address the request came from (behind a proxy, configure ProxyFix first)."""
    return request.remote_addr or "unknown"


def token_client() -> str:
    """The OAuth client asking ``/oauth/token``: Basic-auth user or form ``client_id``."""
    auth = request.authorization
    client_id = auth.username if auth is not None and auth.username else None
    client_id = client_id or request.form.get("client_id")
    return f"client:{client_id[:64]}" if client_id else f"address:{client_address()}"


def bearer_client() -> str:
    """The OAuth client of the request's bearer token (the address if there is none)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        client_id = db_session().scalar(
            select(OAuthToken.client_id).where(
                OAuthToken.access_token_hash == digest(token.strip())
            )
        )
        if client_id is not None:
            return f"client:{client_id}"
    return f"address:{client_address()}"


def build_limiter(app: Flask, limits: RateLimits) -> Limiter:
    """A limiter for ``app`` (one per app, so each app counts in its own storage)."""
    limiter = Limiter(
        key_func=client_address,
        app=app,
        storage_uri=limits.storage,
        key_prefix=limits.key_prefix,
        strategy="moving-window",
        headers_enabled=True,
        retry_after="delta-seconds",
    )
    app.extensions[EXTENSION] = limiter
    return limiter


def init_rate_limits(app: Flask, limits: RateLimits) -> Limiter:
    """Limit the forms, the token endpoint and the API blueprints of ``app``.

    Call once every blueprint is registered: view functions are wrapped by endpoint.
    """
    limiter = build_limiter(app, limits)
    for endpoint, setting in FORM_ENDPOINTS.items():
        _wrap(
            app,
            endpoint,
            limiter.limit(
                getattr(limits, setting), key_func=client_address, methods=["POST"], scope=setting
            ),
        )
    for endpoint in PUBLIC_PAGES:
        _wrap(
            app, endpoint, limiter.limit(limits.api, key_func=client_address, scope="public-pages")
        )
    _wrap(
        app,
        TOKEN_ENDPOINT,
        limiter.limit(limits.token, key_func=client_address, scope="token-address"),
        limiter.limit(limits.token, key_func=token_client, scope="token-client"),
    )
    api_blueprints = {
        rule.endpoint.partition(".")[0]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/") and "." in rule.endpoint
    }
    for name in sorted(api_blueprints):
        blueprint = app.blueprints[name]
        # flask-limiter's stubs type a blueprint target loosely; it is supported.
        limiter.limit(limits.api, key_func=client_address, scope="api-address")(blueprint)  # type: ignore[call-overload]
        limiter.limit(limits.api, key_func=bearer_client, scope="api-client")(blueprint)  # type: ignore[call-overload]
    return limiter


def _wrap(app: Flask, endpoint: str, *decorators: Callable[[Any], Any]) -> None:
    view = app.view_functions.get(endpoint)
    if view is None:  # e.g. a form this app does not offer
        return
    for decorator in decorators:
        view = decorator(view)
    app.view_functions[endpoint] = view
