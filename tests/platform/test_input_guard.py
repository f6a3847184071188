"""Bad input is a 4xx (problem+json on the API) on every route, on both databases.

The catch-all walks EVERY rule of the URL map with the inputs that used to
crash views or the database: JSON nested 10,000 deep, integers beyond 64 bits,
NUL characters and invalid UTF-8, in the path, the query and the body, with
an identity each route accepts (so the input reaches the view, not just the
authentication). The named cases below are the ones the security review hit.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from civicdata.context import Platform
from civicdata.models import SourceRecord
from tests.support.oauth import (
    citizen_token,
    csrf_token,
    new_citizen,
    new_staff,
    service_token,
    sign_in,
)

PROBLEM = "application/problem+json"
DEEP = b"[" * 10_000 + b"]" * 10_000
BAD_TEXT = {"NUL": "a%00b", "invalid UTF-8": "%FF%FE", "huge integer": "9" * 20}
BAD_PATH = {**BAD_TEXT, "very long integer": "9" * 5000}
PORTAL_QUERY = [
    "before", "at", "dataset", "next", "stored", "actor", "action", "decision", "department",
    "purpose", "from", "to", "limit", "format", "lang",
]  # fmt: skip  # every name the portal's views read
TRIP = {
    "source_id": "op-1",
    "travel_card": "TC-0001",
    "mode": "tram",
    "district": "Old Town",
    "month": "2025-06",
    "duration_min": 10,
}


def is_api(path: str) -> bool:
    return path.startswith(("/api/", "/oauth/", "/.well-known/")) or path in ("/healthz", "/readyz")


@dataclass
class Identity:
    """A way of calling: a test client (its cookies) and the headers it sends."""

    name: str
    client: FlaskClient
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)  # the CSRF token of its session


@pytest.fixture
def identities(app: Flask, platform_: Platform) -> list[Identity]:
    setup = app.test_client()
    bearer = {
        "auditor": service_token(setup, platform_, role="auditor", scopes=["audit:read"]),
        "department": service_token(
            setup,
            platform_,
            role="department",
            scopes=["aggregates:request"],
            department="transport",
        ),
        "source": service_token(setup, platform_, role="source", scopes=["ingest:trips"]),
        "app": citizen_token(
            app.test_client(),
            platform_,
            scopes=["openid", "consent:read", "consent:write"],
            email="app-user@example.org",
        )["access_token"],
    }
    found = [Identity("anonymous", app.test_client())]
    found += [
        Identity(name, app.test_client(), {"Authorization": f"Bearer {token}"})
        for name, token in bearer.items()
    ]
    new_staff(platform_, "auditor", "auditor@example.org")
    new_staff(platform_, "analyst", "analyst@example.org", department="transport")
    new_citizen(platform_, "citizen@example.org")
    for email in ("auditor@example.org", "analyst@example.org", "citizen@example.org"):
        portal = app.test_client()
        assert sign_in(portal, email).status_code == 302
        token = csrf_token(portal.get("/account").text)
        found.append(Identity(email.split("@")[0], portal, form={"csrf_token": token}))
    return found


def _openapi(app: Flask) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").json
    return document


def _operation(openapi: dict[str, Any], rule: Rule, method: str) -> dict[str, Any]:
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
    operation: dict[str, Any] = openapi["paths"].get(path, {}).get(method.lower(), {})
    return operation


def _queries(openapi: dict[str, Any], rule: Rule, method: str, value: str) -> list[str]:
    """Each documented query parameter of an API route alone; the portal's names together."""
    if not is_api(rule.rule):
        return ["&".join(f"{name}={value}" for name in PORTAL_QUERY)]
    parameters = _operation(openapi, rule, method).get("parameters", [])
    names = [p["name"] for p in parameters if p.get("in") == "query"] or ["limit"]
    return [f"{name}={value}" for name in names]


def _body_fields(openapi: dict[str, Any], rule: Rule, method: str) -> list[str]:
    content = _operation(openapi, rule, method).get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {})) or list(TRIP)


def _url(rule: Rule, override: dict[str, str] | None = None, query: str = "") -> str:
    values = {
        name: "1" if rule._converters[name].regex == r"\d+" else "x" for name in rule.arguments
    }
    values.update(override or {})
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
    return path + (f"?{query}" if query else "")


def _bodies(fields: list[str], bulk: bool) -> Iterator[tuple[str, str, bytes]]:
    nul = json.dumps({name: "\x00" for name in fields} | {"x\x00": 1}).encode()
    huge = json.dumps({name: 10**30 for name in fields}).encode()
    if bulk:
        ndjson = "application/x-ndjson"
        yield "deep NDJSON line", ndjson, DEEP + b"\n"
        yield "NUL in NDJSON", ndjson, json.dumps({**TRIP, "source_id": "a\x00b"}).encode()
        yield (
            "huge integer in NDJSON",
            ndjson,
            json.dumps({**TRIP, "duration_min": 10**30}).encode(),
        )
        yield "invalid UTF-8 NDJSON", ndjson, b'{"source_id": "\xff"}\n'
    yield "deep JSON", "application/json", DEEP
    yield "NUL in JSON strings", "application/json", nul
    yield "huge integers in JSON", "application/json", huge
    yield "infinite number in JSON", "application/json", b'{"epsilon": 1e999, "delta": 1e999}'
    yield "invalid UTF-8 JSON", "application/json", b'{"dataset": "\xff\xfe"}'
    yield "NUL record", "application/json", json.dumps({**TRIP, "source_id": "\x00"}).encode()


def _form_bodies(identity: Identity, fields: list[str]) -> Iterator[tuple[str, dict[str, str]]]:
    names = [*fields, "email", "password", "name", "decision", "scope", "client_id", "next"]
    yield "NUL in form fields", {**identity.form, **{name: "a\x00b" for name in names}}
    yield "huge integers in form", {**identity.form, **{name: "9" * 30 for name in names}}


def _accepts(identity: Identity, rule: Rule, method: str) -> bool:
    """Whether the route lets this identity past authentication (so input reaches the view)."""
    answer = identity.client.open(_url(rule), method=method, headers=identity.headers)
    return answer.status_code not in (401, 403) and not (
        answer.status_code == 302 and "/login" in answer.headers.get("Location", "")
    )


def _callers(identities: list[Identity], rule: Rule, method: str) -> list[Identity]:
    """Who reaches the view: each identity the route accepts; an open route once anonymously
    and once signed in (the portal) or as a service (the API)."""
    accepted = [i for i in identities if _accepts(i, rule, method)]
    if not accepted or accepted[0].name != "anonymous":
        return accepted or identities[:1]
    signed_in = [i for i in accepted[1:] if bool(i.form) != is_api(rule.rule)]
    return accepted[:1] + signed_in[:1]


def _requests(
    openapi: dict[str, Any], rule: Rule, method: str, identity: Identity
) -> Iterator[tuple[str, dict[str, Any]]]:
    for name in rule.arguments:
        for label, value in BAD_PATH.items():
            yield f"{label} in path {name}", {"path": _url(rule, {name: value})}
    for label, value in BAD_TEXT.items():
        for query in _queries(openapi, rule, method, value):
            yield f"{label} in query {query[:20]}", {"path": _url(rule, query=query)}
    yield "NUL in query name", {"path": _url(rule, query="a%00=1")}
    basic = base64.b64encode(b"\xff\xfe:\xff").decode()
    yield "non-UTF-8 Basic", {"path": _url(rule), "headers": {"Authorization": f"Basic {basic}"}}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        fields = _body_fields(openapi, rule, method)
        for label, content_type, body in _bodies(fields, bulk=rule.rule.endswith("/bulk")):
            headers = {"Content-Type": content_type, "Idempotency-Key": "k-" + label[:8]}
            yield label, {"path": _url(rule), "data": body, "headers": headers}
        if not is_api(rule.rule):
            for label, form in _form_bodies(identity, fields):
                yield label, {"path": _url(rule), "data": form}


def _oauth_error(rule: Rule, answer: Any) -> bool:
    """RFC 6749 section 5.2: token, revocation and introspection errors are JSON ``error``s."""
    return (
        rule.rule in ("/oauth/token", "/oauth/revoke", "/oauth/introspect")
        and answer.mimetype == "application/json"
        and "error" in answer.json
    )


def test_every_route_answers_bad_input_with_a_4xx(app: Flask, identities: list[Identity]) -> None:
    openapi = _openapi(app)
    failures: list[str] = []
    tried = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            accepted = _callers(identities, rule, method)
            for identity in accepted:
                for label, spec in _requests(openapi, rule, method, identity):
                    headers = {**identity.headers, **spec.get("headers", {})}
                    answer = identity.client.open(
                        spec["path"], method=method, headers=headers, data=spec.get("data")
                    )
                    tried += 1
                    where = f"{method} {rule.rule} as {identity.name}, {label}"
                    if answer.status_code >= 500:
                        failures.append(f"{where}: {answer.status_code}")
                    elif (
                        answer.status_code >= 400
                        and is_api(rule.rule)
                        and answer.mimetype != PROBLEM
                        and not _oauth_error(rule, answer)
                    ):
                        failures.append(f"{where}: {answer.status_code} {answer.mimetype}")
    assert tried > 8 * len(list(app.url_map.iter_rules()))
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:60])


@pytest.fixture
def bearer(client: FlaskClient, platform_: Platform):  # type: ignore[no-untyped-def]
    def token(role: str, scopes: list[str], department: str | None = None) -> dict[str, str]:
        value = service_token(client, platform_, role=role, scopes=scopes, department=department)
        return {"Authorization": f"Bearer {value}"}

    return token


def _refused(answer: Any, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in statuses, (answer.status_code, answer.text[:300])
    assert answer.mimetype == PROBLEM
    body: dict[str, Any] = answer.json
    assert body["status"] == answer.status_code and body["errors"][0]["field"]
    return body


def test_json_nested_10000_deep_is_refused_before_parsing(client, bearer, platform_) -> None:  # type: ignore[no-untyped-def]
    department = bearer("department", ["aggregates:request"], "transport")
    json_body = {**department, "Content-Type": "application/json"}
    for path in ("/api/v1/releases/plan", "/api/v1/releases"):
        body = _refused(client.post(path, data=DEEP, headers=json_body), 400)
        assert "deeper than" in body["detail"]
    source = bearer("source", ["ingest:trips"])
    answer = client.post(
        "/api/v1/datasets/trips/records",
        data=DEEP,
        headers={**source, "Content-Type": "application/json"},
    )
    assert "deeper than" in _refused(answer, 400)["detail"]
    bulk = client.post(
        "/api/v1/datasets/trips/records/bulk",
        data=json.dumps(TRIP).encode() + b"\n" + DEEP + b"\n",
        headers={**source, "Content-Type": "application/x-ndjson", "Idempotency-Key": "deep-1"},
    )
    assert bulk.status_code == 400 and bulk.mimetype == PROBLEM, bulk.text[:300]
    assert "deeper than" in bulk.text, bulk.text
    with platform_.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SourceRecord)) == 0


def test_a_json_body_over_the_limit_is_413(client, bearer) -> None:  # type: ignore[no-untyped-def]
    department = bearer("department", ["aggregates:request"], "transport")
    big = b'{"dataset": "' + b"x" * (1 << 20) + b'"}'
    answer = client.post(
        "/api/v1/releases/plan",
        data=big,
        headers={**department, "Content-Type": "application/json"},
    )
    _refused(answer, 413)


def test_a_20_digit_audit_index_is_a_4xx(client, bearer) -> None:  # type: ignore[no-untyped-def]
    auditor = bearer("auditor", ["audit:read"])
    _refused(client.get("/api/v1/audit/events/" + "9" * 20, headers=auditor), 400)
    _refused(client.get("/api/v1/audit/events?before=" + "9" * 20, headers=auditor), 400)
    assert client.get("/api/v1/audit/events/" + str(2**63 - 1), headers=auditor).status_code == 404


@pytest.mark.parametrize(
    ("role", "scopes", "path"),
    [
        ("auditor", ["audit:read"], "/api/v1/audit/events?action=a%00b"),
        ("auditor", ["audit:read"], "/api/v1/audit/events?actor=a%00b"),
        ("auditor", ["audit:read"], "/api/v1/audit/events/export?actor=%00"),
        ("source", ["ingest:trips"], "/api/v1/ingestions?dataset=a%00"),
        ("source", ["ingest:trips"], "/api/v1/ingestions/a%00b"),
        ("department", ["aggregates:request"], "/api/v1/releases/a%00b"),
        ("auditor", ["audit:read"], "/api/v1/audit/events?actor=%C3%28"),
        ("department", ["aggregates:request"], "/api/v1/releases/%FF"),
    ],
)
def test_nul_and_invalid_utf8_in_path_and_query_are_400(client, bearer, role, scopes, path) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(role, scopes, "transport" if role == "department" else None)
    _refused(client.get(path, headers=headers), 400)


def test_non_utf8_basic_credentials_at_the_token_endpoint_are_401(client) -> None:  # type: ignore[no-untyped-def]
    credentials = base64.b64encode(b"\xff\xfeclient:\xffsecret").decode()
    answer = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    body = _refused(answer, 401)
    assert body["error"] == "invalid_client" and "Basic" in answer.headers["WWW-Authenticate"]


def test_opaque_oauth_values_made_of_digits_are_not_taken_for_integers(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/oauth/authorize?response_type=code&client_id=x&state=" + "7" * 40)
    assert answer.status_code != 400 or "out of range" not in answer.text
