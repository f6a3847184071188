"""Refuse malformed input before any view, parser or query sees it (invariant 8).

Every route goes through one ``before_request`` hook, so no view has to
remember these checks: the path, every query parameter, header and form field
must be UTF-8 without NUL characters (PostgreSQL refuses NUL in text), integer
literals must fit the 64-bit columns they are compared with, HTTP Basic
credentials must decode, and a JSON body must be small and shallow enough to
parse (:mod:`civicdata.json_limits`). The ``int`` URL converter is bounded the
same way. What fails is answered 400 (413 for size) naming the parameter, and
nothing runs.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, abort, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

from civicdata.errors import problem, wants_problem_json
from civicdata.i18n import N_, gettext
from civicdata.json_limits import INT64_MAX, JSONOutOfBounds, check_document

MAX_JSON_BYTES = 1 << 20
"""A JSON request body (a query, a plan, one record) is far smaller than this."""

_INTEGER = re.compile(r"[+-]?\d+")


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that only matches values a 64-bit column can hold."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, INT64_MAX if max is None else max, signed)

    def to_python(self, value: str) -> int:
        if len(value.lstrip("+-")) > 19:
            raise ValidationError()  # no match: a 404, before int() meets a huge literal
        return int(super().to_python(value))


def _refuse(field: str, message: str, status: int = 400) -> None:
    if not wants_problem_json():  # the portal's HTML error page, in the reader's words
        abort(
            status, gettext("Invalid %(field)s: %(message)s", field=field, message=gettext(message))
        )
    title = "Content Too Large" if status == 413 else "Bad Request"
    abort(
        problem(
            status,
            title,
            f"Invalid {field}: {message}",
            errors=[{"field": field, "message": message}],
        )
    )


def _check_text(field: str, raw: bytes, numbers: bool = True) -> None:
    """``raw`` must be UTF-8 without NUL; an integer literal must fit 64 bits (if ``numbers``)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _refuse(field, N_("not valid UTF-8"))
        return
    if "\x00" in text:
        _refuse(field, N_("contains a NUL character"))
    if numbers and _INTEGER.fullmatch(text) and (len(text) > 20 or abs(int(text)) > INT64_MAX):
        _refuse(field, N_("integer out of range (at most 2^63-1)"))


def _check_path() -> None:
    """The path as sent (servers give it raw; PATH_INFO may already have replaced bad bytes)."""
    sent = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    raw = unquote_to_bytes(sent.partition("?")[0]) if sent else b""
    decoded = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")
    for segment in (*raw.split(b"/"), *decoded.split(b"/")):
        _check_text("path", segment)


def _check_query() -> None:
    # OAuth's state, nonce and PKCE values are opaque strings a client may make of digits.
    numbers = not request.path.startswith("/oauth/")
    for pair in request.query_string.split(b"&"):
        name, _, value = pair.replace(b"+", b" ").partition(b"=")
        _check_text("query parameter", unquote_to_bytes(name))
        label = unquote_to_bytes(name).decode("utf-8")
        _check_text(f"query parameter {label!r}", unquote_to_bytes(value), numbers)


def _check_headers() -> None:
    for name, value in request.headers.items():
        if "\x00" in value:
            _refuse(f"header {name}", "contains a NUL character")
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            response = problem(
                401,
                "Unauthorized",
                "The Basic credentials are not base64-encoded UTF-8.",
                error="invalid_client",
                errors=[{"field": "Authorization", "message": "not base64-encoded UTF-8"}],
            )
            response.headers["WWW-Authenticate"] = 'Basic realm="civic"'
            abort(response)


def _check_json_body() -> None:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        _refuse("body", f"a JSON body is at most {MAX_JSON_BYTES} bytes", status=413)
    raw = request.stream.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        _refuse("body", f"a JSON body is at most {MAX_JSON_BYTES} bytes", status=413)
    request.stream = io.BytesIO(raw)  # the views read it again
    if raw.strip():
        try:
            check_document(raw)
        except JSONOutOfBounds as exc:
            _refuse("body", str(exc))


def _check_form() -> None:
    for name, values in request.form.lists():
        for value in (name, *values):
            if "\x00" in value:
                _refuse(f"form field {name!r}", "contains a NUL character")


def refuse_bad_input() -> Response | None:
    """The hook: run every check; each refusal aborts with a problem answer."""
    _check_path()
    _check_query()
    _check_headers()
    if request.is_json:
        _check_json_body()
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        _check_form()
    return None


def init_input_guard(app: Flask) -> None:
    """Bound ``<int:…>`` and check every request; call before any route is added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_bad_input)
