"""Errors as RFC 9457 problem+json for the API and OAuth, HTML for the portal.

Every error answer names what was wrong and never carries records or counts.
Unexpected exceptions are logged with their traceback and answered with a
generic 500 that leaks nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from civicdata.consents.changes import ConsentConflict, ConsentRequestError, UnknownPurpose
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


def wants_problem_json() -> bool:
    path = request.path
    return path.startswith(("/api/", "/oauth/", "/.well-known/")) or path in ("/healthz", "/readyz")


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
    return render_template(
        "error.html", status=status, title=exc.name, detail=exc.description
    ), status


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
    detail = "Encryption keys are temporarily unavailable; nothing was changed. Retry shortly."
    if wants_problem_json():
        response = problem(503, "Service Unavailable", detail)
    else:
        page = render_template("error.html", status=503, title="Service Unavailable", detail=detail)
        response = Response(page, status=503, mimetype="text/html")
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
