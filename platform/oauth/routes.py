"""HTTP routes of the authorization server: parse, call the server, format.

``/oauth/authorize`` is the consent screen (a signed-in citizen, CSRF-protected
form); ``/oauth/token``, ``/oauth/revoke`` and ``/oauth/introspect`` take
client credentials; ``/oauth/userinfo`` a bearer token; ``/oauth/jwks`` and
the ``/.well-known/`` documents are public.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicdata.audit import record_event, record_event_committed
from civicdata.db import utcnow
from civicdata.errors import prefers_html, problem, user_error
from civicdata.i18n import current_locale, gettext
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.models import Account
from civicdata.identity.portal import current_account, login_redirect, signed_in_at
from civicdata.oauth import signing
from civicdata.oauth.authorizations import record_authorization
from civicdata.oauth.consent_screen import describe, granted_scope
from civicdata.oauth.grants import ConsentGiven, TokenOwner, user_claims
from civicdata.oauth.metadata import server_metadata
from civicdata.oauth.prompt import check_response_mode, requested_prompts
from civicdata.oauth.protect import current_grant, require_oauth
from civicdata.oauth.server import endpoint_response, token_response
from civicdata.oauth.state import oauth_state
from civicdata.request_scope import current_platform, db_session
from consent.status import states

bp = Blueprint("oauth", __name__)


def _refuse(error: OAuth2Error, account: Account | None) -> Response:
    """Audit a refused authorization request; redirect to the client only if its URI is verified."""
    record_event_committed(
        current_platform().sessions,
        actor=actor_of(account),
        action="oauth.authorize",
        resource=str(request.values.get("client_id", ""))[:80],
        decision="refused",
        error=error.error,
    )
    if error.redirect_uri:
        response: Response = oauth_state().server.handle_error_response(None, error)
        return response
    # Nowhere verified to send the answer: the person sees a page, an API client JSON.
    if prefers_html():
        detail = gettext(
            "The app that sent you here made a request this platform cannot accept, so you "
            "cannot be sent back to it. Nothing was shared with it. You can close this page; "
            "the app's makers can look up the error code %(error)s.",
            error=error.error,
        )
        return user_error(400, detail)
    return problem(400, "Bad Request", error.description or error.error, error=error.error)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> ResponseReturnValue:
    """Ask the signed-in citizen to authorize the app, purpose by purpose."""
    server = oauth_state().server
    account = current_account()
    try:
        check_response_mode(request.values)  # before anything is sent back in another mode
        grant = server.get_consent_grant(end_user=account)
    except OAuth2Error as error:
        return _refuse(error, account)
    try:
        prompts = requested_prompts(request.values)
    except OAuth2Error as error:
        return _refuse(_to_client(error, grant), account)
    if "none" in prompts:  # never a page: the answer goes to the client
        if account is None or account.role != "citizen":
            return _refuse(_to_client(LoginRequiredError(), grant), account)
        return _refuse(_to_client(ConsentRequiredError(), grant), account)
    if account is None:
        return login_redirect()
    if "login" in prompts and request.method == "GET":
        return _sign_in_again(prompts)
    if account.role != "citizen":
        record_event_committed(
            current_platform().sessions,
            actor=actor_of(account),
            action="oauth.authorize",
            resource=grant.client.client_id,
            decision="denied",
            role=account.role,
        )
        return user_error(403, gettext("Only residents can authorize apps."))
    platform = current_platform()
    language = current_locale()  # lang, then the remembered choice, ui_locales, Accept-Language
    departments = {d.id: d.name for d in platform.catalog.departments.values()}
    if request.method == "GET":
        found = states(db_session(), str(account.citizen_id), platform.purposes, utcnow())
        given = {pid for pid, state in found.items() if state.active}
        view = describe(grant.request.scope, platform.purposes, departments, language, given)
        return render_template(
            "oauth/consent.html",
            client=grant.client,
            view=view,
            query=request.query_string.decode(),
        )
    return _decide(grant, account, language)


def _to_client(error: OAuth2Error, grant: Any) -> OAuth2Error:
    """Send ``error`` to the client's verified redirect URI, with its ``state``."""
    error.redirect_uri = grant.redirect_uri
    error.state = grant.request.payload.state
    return error


def _sign_in_again(prompts: frozenset[str]) -> ResponseReturnValue:
    """``prompt=login``: the password again, then this request without ``login``."""
    args: dict[str, Any] = request.args.to_dict(flat=True)
    remaining = sorted(prompts - {"login"})
    if remaining:
        args["prompt"] = " ".join(remaining)
    else:
        args.pop("prompt", None)
    return redirect(url_for("auth.login", next=url_for("oauth.authorize", **args), reauth=1))


def _decide(grant: Any, account: Account, language: str) -> ResponseReturnValue:
    server, platform = oauth_state().server, current_platform()
    if request.form.get("decision") != "allow":
        record_event_committed(
            platform.sessions,
            actor=actor_of(account),
            action="oauth.authorize",
            resource=grant.client.client_id,
            decision="declined",
        )
        return server.create_authorization_response(grant_user=None, grant=grant)
    scope = granted_scope(grant.request.scope, request.form.getlist("grant_purpose"))
    if scope is None:
        return user_error(400, gettext("grant_purpose: only requested purposes can be granted"))
    session = db_session()
    authorization = record_authorization(
        session,
        account=account,
        client=grant.client,
        scope=scope,
        purposes=platform.purposes,
        language=language,
        now=utcnow(),
    )
    response: Response = server.create_authorization_response(
        grant_user=ConsentGiven(account, authorization, signed_in_at()), grant=grant
    )
    if response.status_code != 302 or "code=" not in response.headers.get("Location", ""):
        session.rollback()
        return response
    record_event(
        session,
        actor=actor_of(account),
        action="oauth.authorize",
        resource=grant.client.client_id,
        authorization=authorization.id,
        purposes=authorization.purposes,
    )
    session.commit()
    return response


@bp.post("/oauth/token")
def token() -> ResponseReturnValue:
    return token_response()


@bp.post("/oauth/revoke")
def revoke() -> ResponseReturnValue:
    return endpoint_response("revocation")


@bp.post("/oauth/introspect")
def introspect() -> ResponseReturnValue:
    return endpoint_response("introspection")


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@require_oauth("openid")
def userinfo() -> ResponseReturnValue:
    grant = current_grant()
    account = db_session().get(Account, grant.account_id) if grant.account_id else None
    if account is None:
        return problem(403, "Forbidden", "This token was not issued for a citizen.")
    return jsonify(dict(user_claims(TokenOwner(account, grant.client_id), " ".join(grant.scopes))))


@bp.get("/oauth/jwks")
def jwks() -> ResponseReturnValue:
    return jsonify(signing.jwks(current_platform().signing.history(refresh=True)))


@bp.get("/.well-known/oauth-authorization-server")
@bp.get("/.well-known/openid-configuration")
def discovery() -> ResponseReturnValue:
    state = oauth_state()
    return jsonify(server_metadata(current_platform().config.public_url, state.scopes.supported()))
