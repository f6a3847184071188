"""Every request gets a request id (the caller's, if well-formed), a log line and metrics."""

from __future__ import annotations

import pytest

from tests.support.logs import capture_json_logs


def test_a_well_formed_request_id_is_kept_and_returned(client) -> None:  # type: ignore[no-untyped-def]
    with capture_json_logs() as logs:
        response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"
    [line] = logs.events("request")
    assert line["request_id"] == "lb-7f3a.42"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/healthz", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "info" and "timestamp" in line


@pytest.mark.parametrize("given", ["", "a" * 200, "two words", "x\tforged", "../etc", 'id"}'])
def test_a_malformed_request_id_is_replaced(client, given: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz", headers={"X-Request-ID": given})
    returned = response.headers["X-Request-ID"]
    assert returned != given and len(returned) == 32


def test_each_request_without_an_id_gets_its_own(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def test_the_log_line_names_the_route_rule_not_the_path(client) -> None:  # type: ignore[no-untyped-def]
    with capture_json_logs() as logs:
        client.get("/api/v1/releases/rel-secretish?format=csv")
        client.get("/no/such/page")
    routes = [(line["route"], line["status"]) for line in logs.events("request")]
    assert routes == [("/api/v1/releases/<release_id>", 401), ("<unmatched>", 404)]
    assert "rel-secretish" not in logs.text
