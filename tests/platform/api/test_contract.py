"""The API contract: a valid OpenAPI 3.1 document, held by schemathesis on every operation.

schemathesis generates requests for every operation from the document and
calls them with a token of each role (bounded examples, so the whole run stays
short), checking: no server error, responses that conform to their schema,
documented status codes and content types.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.oauth import citizen_token, service_token

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture
def document(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json
    return found


def test_the_document_is_valid_openapi_3_1(document) -> None:  # type: ignore[no-untyped-def]
    validate(document)
    assert document["openapi"] == "3.1.0"
    delta = document["components"]["schemas"]["ReleaseRequest"]["properties"]["delta"]
    assert delta["maximum"] == 0.001 and "number" in delta["type"]


def test_every_error_is_problem_json_and_every_guarded_operation_names_its_scopes(document) -> None:  # type: ignore[no-untyped-def]
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (path, status)
        if path.startswith(("/api/v1/audit", "/api/v1/budgets")) or path == "/api/v1/releases":
            assert operation["security"], (method, path)
            assert "401" in operation["responses"] and "403" in operation["responses"]
    plan = document["paths"]["/api/v1/releases/plan"]["post"]
    assert plan["security"] == [{"oauth2": ["aggregates:request"]}]


@pytest.fixture
def tokens(client, platform_) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A bearer token for each role."""
    return {
        "department": service_token(
            client,
            platform_,
            role="department",
            scopes=["aggregates:request"],
            department="transport",
        ),
        "auditor": service_token(client, platform_, role="auditor", scopes=["audit:read"]),
        "source": service_token(client, platform_, role="source", scopes=["ingest:trips"]),
        "app": citizen_token(client, platform_, scopes=["openid", "consent:read", "consent:write"])[
            "access_token"
        ],
    }


def test_every_operation_keeps_its_contract_for_every_role(app, tokens) -> None:  # type: ignore[no-untyped-def]
    """schemathesis' Python API: each operation's strategy run for a few examples."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def holds(case) -> None:  # type: ignore[no-untyped-def]
            for token in tokens.values():
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            holds()
        except (Exception, BaseExceptionGroup) as exc:  # every operation tried, all reported
            failures[operation.label] = str(exc)[:1500]
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
