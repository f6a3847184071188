"""The published OpenAPI 3.1 document: what flask-smorest generates, made a valid contract.

flask-smorest describes operations from the marshmallow schemas; this module
finishes the document once, where it is served, so that fuzzers can hold the
API to it:

* OpenAPI 3.1 (JSON Schema 2020-12): ``nullable`` becomes a ``null`` type and
  bounds from ``Decimal`` validators become numbers (``delta.maximum`` was the
  string ``"0.001"``, which made the document invalid);
* every error answer of every operation is documented as
  ``application/problem+json`` (RFC 9457) with one ``Problem`` schema, which
  allows the extension members the platform adds (``errors``, ``failure``…);
* an ``oauth2`` security scheme (client credentials and authorization code
  with PKCE) with every scope, and on each operation the scopes it needs,
  read from the :func:`civicdata.oauth.protect.require_oauth` guard of its view.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from civicdata.oauth.scopes import FIXED

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; extension members name the fields at fault.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {},
    },
    "required": ["title", "status"],
    "additionalProperties": True,
}
ROLE_SCOPES = {
    "department": ["aggregates:request"],
    "auditor": ["audit:read"],
    "source": ["ingest:{dataset}"],
    "app": ["consent:read"],
}
"""The scope a role's token carries when a route names only roles (it checks the rest)."""

ALWAYS = {"400": "Bad input (malformed, too deep, out of range): nothing was done"}
SECURED = {"401": "No valid access token", "403": "The token's role or scopes do not allow it"}
WITH_BODY = {
    "413": "The body is larger than allowed",
    "415": "The body's Content-Type is not accepted",
    "422": "The body is well-formed but invalid (each field at fault is named)",
}
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _to_31(node: Any) -> Any:
    """``nullable`` to a ``null`` type, string bounds to numbers, everywhere in ``node``."""
    if isinstance(node, list):
        return [_to_31(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _to_31(value) for key, value in node.items()}
    for bound in _BOUNDS:
        value = out.get(bound)
        if isinstance(value, Decimal) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
            number = Decimal(value)
            out[bound] = int(number) if number == number.to_integral_value() else float(number)
    if out.pop("nullable", False):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        elif "$ref" in out or "allOf" in out:
            out = {"anyOf": [dict(out), {"type": "null"}]}
    return out


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-zA-Z_]+)>", r"{\1}", rule)


def _requirements(app: Flask) -> dict[tuple[str, str], list[list[str]]]:
    """(path, method) -> the alternative scope sets of the operation's guard."""
    found: dict[tuple[str, str], list[list[str]]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        need = getattr(view, "oauth_requirement", None)
        if need is None:
            continue
        scopes, roles = need
        alternatives = [list(scopes)] if scopes else [ROLE_SCOPES[role] for role in roles]
        for method in rule.methods or ():
            found[(_openapi_path(rule.rule), method.lower())] = alternatives
    return found


def _errors_of(path: str, operation: dict[str, Any], secured: bool) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)  # every error is listed with its status instead
    wanted = {**ALWAYS, **(SECURED if secured else {})}
    if "{" in path:
        wanted["404"] = "Nothing of yours has this id"
    if "requestBody" in operation:
        wanted.update(WITH_BODY)
    for status, description in wanted.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status[0] in "45" and isinstance(response, dict):
            description = response.get("description") or "Problem"
            responses[status] = _problem_response(description)


def contract(document: dict[str, Any], app: Flask) -> dict[str, Any]:
    """The generated ``document``, finished as described in the module docstring."""
    spec: dict[str, Any] = _to_31(document)
    spec["openapi"] = "3.1.0"
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["responses"] = {
        name: _problem_response(response.get("description", name))
        for name, response in components.get("responses", {}).items()
    }
    scopes = {scope: f"role {role}" for scope, role in FIXED.items()}
    scopes.update({"purpose:{purpose}": "role app", "ingest:{dataset}": "role source"})
    components["securitySchemes"] = {
        "oauth2": {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": scopes},
                "authorizationCode": {
                    "authorizationUrl": "/oauth/authorize",
                    "tokenUrl": "/oauth/token",
                    "scopes": scopes,
                },
            },
        }
    }
    needs = _requirements(app)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            alternatives = needs.get((path, method))
            if alternatives is not None:
                operation["security"] = [{"oauth2": scopes} for scopes in alternatives]
            else:
                operation["security"] = []
            _errors_of(path, operation, secured=alternatives is not None)
    return spec


def serve_contract(app: Flask, generated: Callable[[], dict[str, Any]]) -> None:
    """Serve the finished document at flask-smorest's ``openapi.json`` route."""

    def openapi_json() -> ResponseReturnValue:
        return jsonify(contract(generated(), app))

    app.view_functions["api-docs.openapi_json"] = openapi_json
