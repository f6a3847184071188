"""Errors as RFC 9457 problem+json for the API and OAuth, HTML for the portal.

Every error answer names what was wrong and never carries records or counts.
Unexpected exceptions are logged with their traceback and answered with a
generic 500 that leaks nothing. Portal pages (and the one OAuth endpoint a
person's browser opens, ``/oauth/authorize``, when the browser asks for HTML)
get a page in plain words, in the reader's language; API clients keep JSON,
in English.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from civicdata.consents.changes import ConsentConflict, ConsentRequestError, UnknownPurpose
from civicdata.i18n import lazy_gettext
from civicdata.vault.keyring import KeyUnavailableError

PROBLEM_JSON = "application/problem+json"
# Errors below the web layer carry no HTTP status; this is where they get one.
# The most specific class listed wins (looked up along the exception's MRO).
DOMAIN_STATUS: dict[type[Exception], int] = {
    UnknownPurpose: 404,
    ConsentConflict: 409,
    ConsentRequestError: 400,
}


def status_for(exc: Exception) -> int:
    """The HTTP status of a domain or service error (400 unless mapped otherwise)."""
    return next((DOMAIN_STATUS[c] for c in type(exc).__mro__ if c in DOMAIN_STATUS), 400)


# Pages of these paths are opened by a person's browser, though they live under /oauth/.
BROWSER_PATHS = ("/oauth/authorize",)


def prefers_html() -> bool:
    """Whether the client asked for a page rather than JSON (browsers do; API clients don't)."""
    accept = request.accept_mimetypes
    best = accept.best_match(["application/json", PROBLEM_JSON, "text/html"])
    return best == "text/html" and accept["text/html"] > accept["application/json"]


def wants_problem_json() -> bool:
    path = request.path
    if path in BROWSER_PATHS:
        return not prefers_html()
    return path.startswith(("/api/", "/oauth/", "/.well-known/")) or path in ("/healthz", "/readyz")


# What an error page says, in plain words; other statuses use the generic entry.
PLAIN_WORDS = {
    400: (
        lazy_gettext("Something in the request was not right"),
        lazy_gettext("The page could not use what was sent. Go back and try again."),
    ),
    401: (
        lazy_gettext("Please sign in"),
        lazy_gettext("This page needs you to sign in first."),
    ),
    403: (
        lazy_gettext("You cannot open this page"),
        lazy_gettext("This page is not available to your account."),
    ),
    404: (
        lazy_gettext("Page not found"),
        lazy_gettext(
            "There is no page at this address. The link may be mistyped, or the page may "
            "have moved."
        ),
    ),
    405: (
        lazy_gettext("This page cannot be opened that way"),
        lazy_gettext(
            "This address only takes a form sent from one of the portal's pages. Go back "
            "to the page you came from and try again."
        ),
    ),
    409: (
        lazy_gettext("That cannot be done right now"),
        lazy_gettext("It conflicts with the current state. Reload the page and try again."),
    ),
    413: (
        lazy_gettext("What was sent is too large"),
        lazy_gettext("Send less at once and try again."),
    ),
    429: (
        lazy_gettext("Too many requests"),
        lazy_gettext("Wait a minute, then try again."),
    ),
    500: (
        lazy_gettext("Something went wrong on our side"),
        lazy_gettext(
            "The problem has been logged and nothing was changed. Please try again in a moment."
        ),
    ),
    503: (
        lazy_gettext("The service is briefly unavailable"),
        lazy_gettext("Nothing was changed. Please try again in a moment."),
    ),
}
CSRF_WORDS = lazy_gettext(
    "The form was too old, or was not sent from this site's page. Go back, reload the "
    "page and send the form again."
)
KEYS_UNAVAILABLE = lazy_gettext(
    "Encryption keys are temporarily unavailable; nothing was changed. Please try again in "
    "a moment."
)
GENERIC = (
    lazy_gettext("Something went wrong"),
    lazy_gettext("The page could not be shown. Go back and try again."),
)


def error_page(status: int, detail: str | None = None) -> Response:
    """The portal's error page for ``status``, in plain words; ``detail`` replaces the usual text."""
    title, usual = PLAIN_WORDS.get(status, GENERIC)
    page = render_template(
        "error.html", status=status, title=str(title), detail=detail or str(usual)
    )
    return Response(page, status=status, mimetype="text/html")


def user_error(status: int, detail: str, **extra: Any) -> Response:
    """An error a person may see: a page for browsers, problem+json for API clients."""
    if prefers_html():
        return error_page(status, detail)
    return problem(status, HTTP_STATUS_CODES.get(status, "Error"), detail, **extra)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    """A problem+json response (RFC 9457)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    if wants_problem_json():
        extra: dict[str, Any] = {}
        detail = exc.description if status < 500 else None
        data = getattr(exc, "data", None)  # flask-smorest / webargs validation details
        if isinstance(data, dict) and data.get("messages"):
            extra["errors"] = data["messages"]
            detail = "Invalid " + "; ".join(_field_paths(data["messages"]))
        response = problem(status, exc.name, detail, **extra)
        for key, value in exc.get_headers() if status == 405 else []:
            if key.lower() == "allow":
                response.headers[key] = value
        return response
    return error_page(status, _own_description(exc))


def _own_description(exc: HTTPException) -> str | None:
    """The description a view gave, or ``None`` for the framework's stock wording."""
    if isinstance(exc, CSRFError):
        return str(CSRF_WORDS)
    description = exc.description
    if not description or description == type(exc).description or exc.code == 500:
        return None
    return str(description)


def _field_paths(messages: Any, prefix: str = "") -> list[str]:
    """``{"json": {"epsilon": ["..."]}}`` -> ``["json.epsilon: ..."]``: the fields, named."""
    if isinstance(messages, dict):
        return [
            line
            for key, value in messages.items()
            for line in _field_paths(value, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}"]
    if isinstance(messages, list):
        return [line for m in messages for line in _field_paths(m, prefix)]
    return [f"{prefix}: {messages}"]


RETRY_AFTER_SECONDS = 5


def key_unavailable(exc: KeyUnavailableError) -> Response:
    """503 with Retry-After: a master key is missing here or the HSM is unreachable."""
    from flask import current_app

    current_app.logger.warning("key unavailable on %s %s: %s", request.method, request.path, exc)
    if wants_problem_json():
        detail = "Encryption keys are temporarily unavailable; nothing was changed. Retry shortly."
        response = problem(503, "Service Unavailable", detail)
    else:
        response = error_page(503, str(KEYS_UNAVAILABLE))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unexpected(exc: Exception) -> Response | tuple[str, int]:
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _http_error(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(KeyUnavailableError, key_unavailable)
    app.register_error_handler(Exception, _unexpected)
