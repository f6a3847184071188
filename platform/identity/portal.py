"""Who is signed in to the portal, CSRF protection, and the ``login_required`` guard.

Portal pages call :func:`current_account` and guard themselves with
``@login_required("citizen")`` (roles: citizen, analyst, auditor, operator).
The Flask session cookie (signed, HttpOnly, SameSite=Lax, Secure over https)
carries only a random portal-session id; everything else is in the database
(:mod:`civicdata.identity.sessions`). Every state-changing request outside the
bearer-token endpoints must carry Flask-WTF's CSRF token (``csrf_token()`` in
templates), else it is refused with 400.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from civicdata.audit import record_event_committed
from civicdata.db import transaction, utcnow
from civicdata.i18n import gettext
from civicdata.identity.account_mail import AccountMail
from civicdata.identity.audit_trail import actor_of
from civicdata.identity.models import Account
from civicdata.identity.passwords import Passwords
from civicdata.identity.sessions import SessionLimits, end_session, resume_session, start_session
from civicdata.request_scope import current_platform, db_session

SESSION_KEY = "portal_session"
SIGNED_IN_AT_KEY = "signed_in_at"
EXPIRED_KEY = "portal_session_expired"  # until the next sign-in page says so
# Authenticated by client credentials or bearer tokens, never by the cookie.
CSRF_EXEMPT_PREFIXES = (
    "/api/",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/userinfo",
)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class IdentityServices:
    passwords: Passwords
    limits: SessionLimits
    mail: AccountMail


csrf = CSRFProtect()


def init_identity(app: Flask) -> None:
    """CSRF protection, password hashing and the signed-in account for templates."""
    platform = app.extensions["civic"]
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked below, by path
    csrf.init_app(app)
    app.extensions["civic_identity"] = IdentityServices(
        passwords=Passwords(platform.config),
        limits=SessionLimits.from_config(platform.config),
        mail=AccountMail.from_config(platform.config),
    )
    app.before_request(_check_csrf)
    app.before_request(_resume_portal_session)
    app.context_processor(_template_context)


def identity_services() -> IdentityServices:
    from flask import current_app

    return cast(IdentityServices, current_app.extensions["civic_identity"])


def _template_context() -> dict[str, Any]:
    # Anonymous pages (and error pages) need no database round trip.
    return {
        "portal_account": current_account() if SESSION_KEY in session else None,
        "return_path": return_path() or "",
    }


def remembered_locale() -> str | None:
    """The signed-in account's chosen language (for :mod:`civicdata.i18n`), if any."""
    if SESSION_KEY not in session or request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return None
    account = current_account()
    return account.locale if account is not None else None


def _resume_portal_session() -> None:
    # Early, before a view writes: resuming may touch the session row in its own
    # transaction, which must not wait on the request's own uncommitted writes.
    if SESSION_KEY in session and not request.path.startswith(CSRF_EXEMPT_PREFIXES):
        current_account()


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    csrf.protect()


def current_account() -> Account | None:
    """The account signed in to the portal in this request, loaded in ``db_session()``."""
    if "portal_account" in g:
        return cast(Account | None, g.portal_account)
    account: Account | None = None
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        with transaction(current_platform().sessions) as own:
            resumed = resume_session(own, session_id, identity_services().limits, utcnow())
        if resumed is None:
            session.pop(SESSION_KEY, None)
            # Idle or absolute limit, or ended elsewhere. Kept in the cookie, not just for
            # this request: another request (a favicon, a second tab) may notice it first.
            session[EXPIRED_KEY] = True
        else:
            account = db_session().get(Account, resumed[0].id)
    g.portal_account = account
    return account


def sign_in(account: Account) -> None:
    """Start a fresh portal session (new id; the old cookie's content is dropped)."""
    now = utcnow()
    session.clear()
    session[SESSION_KEY] = start_session(db_session(), account, now)
    session[SIGNED_IN_AT_KEY] = int(now.timestamp())
    g.portal_account = account


def signed_in_at() -> int:
    """When the current portal session signed in (Unix time; OpenID ``auth_time``)."""
    return int(session.get(SIGNED_IN_AT_KEY, 0))


def sign_out() -> None:
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        end_session(db_session(), session_id)
    session.clear()
    g.portal_account = None


def login_required(*roles: str) -> Callable[[F], F]:
    """Guard a portal view: sign-in first, then one of ``roles`` (all roles if none given)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if account is None:
                return login_redirect()
            if roles and account.role not in roles:
                record_event_committed(
                    current_platform().sessions,
                    actor=actor_of(account),
                    action="portal.access",
                    resource=request.path,
                    decision="denied",
                    role=account.role,
                )
                abort(403, description=gettext("This page is not available to your role."))
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorator


def session_expired() -> bool:
    """Whether this browser's portal session ended by itself (idle, absolute, elsewhere)

    since it last signed in or was told so; asking forgets it.
    """
    current_account()
    return bool(session.pop(EXPIRED_KEY, False))


def return_path() -> str | None:
    """Where to come back to after signing in, or after switching language, from this request.

    A GET is its own path. Anything else (a form that was posted) cannot be
    repeated by a redirect, so it is the page the form was on: the
    ``Referer``, when it is a page of this site; else ``None`` (the caller
    picks a home).
    """
    if request.method in ("GET", "HEAD"):
        return safe_next(request.full_path.rstrip("?"), "") or None
    referrer = urlsplit(request.referrer or "")
    here = urlsplit(request.host_url)
    if (referrer.scheme, referrer.netloc) != (here.scheme, here.netloc):
        return None
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return safe_next(path, "") or None


def login_redirect() -> Response:
    """To the sign-in page, then back to :func:`return_path`; says so if the session expired."""
    if session_expired():
        flash(gettext("Your session expired; sign in again."), "info")
    target = return_path()
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
