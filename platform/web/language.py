"""The language switch in every page's header: a small form, no JavaScript needed.

Posting ``language`` remembers the choice in this browser (a cookie, so it
outlives sign-out and session expiry) and, for a signed-in account, on the
account itself; then the user is sent back to the page they were on.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, abort, redirect, request
from flask.typing import ResponseReturnValue

from civicdata.i18n import LOCALES, gettext, remember_in_cookie, supported
from civicdata.identity.portal import current_account, safe_next
from civicdata.request_scope import current_platform
from civicdata.web.homes import home_for

bp = Blueprint("language", __name__)


@bp.post("/language")
def switch() -> ResponseReturnValue:
    """Show the portal in ``language``; back to ``next`` (a page of this site)."""
    chosen = supported(request.form.get("language"))
    if chosen is None or chosen != request.form.get("language"):
        abort(
            400, description=gettext("language: must be one of %(codes)s", codes=", ".join(LOCALES))
        )
    account = current_account()
    if account is not None:
        account.locale = chosen  # committed with the request
    back = _without_lang(safe_next(request.form.get("next"), home_for(account)))
    response = redirect(back)
    return remember_in_cookie(response, chosen, secure=current_platform().config.secure_cookies)


def _without_lang(path: str) -> str:
    """``path`` without a ``lang`` parameter, which would override the new choice.

    >>> _without_lang("/oauth/authorize?client_id=a&lang=en&scope=openid")
    '/oauth/authorize?client_id=a&scope=openid'
    """
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + (f"?{urlencode(query)}" if query else "")
