"""Requests as plain data: well-formed or refused with the field named."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from policies.budget import exact
from policies.request import parse_request

BASE: dict[str, Any] = {
    "department": "transport",
    "purpose": "transport-planning",
    "dataset": "trips",
    "measures": [{"kind": "count"}],
    "epsilon": 0.5,
}


def test_a_request_parses_with_exact_epsilon_and_defaults() -> None:
    request = parse_request(BASE)
    assert request.epsilon == exact("0.5") and request.delta == 0
    assert (request.mechanism, request.client_id, request.group_by) == ("laplace", "", ())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"measures": []}, "measures"),
        ({"measures": [{"kind": "count", "field": "duration_min"}]}, "measures"),
        ({"measures": [{"kind": "mean"}]}, "measures"),
        ({"measures": [{"kind": "max", "field": "duration_min"}]}, "measures"),
        ({"epsilon": 0}, "epsilon"),
        ({"epsilon": "0.0000001"}, "epsilon"),
        ({"mechanism": "gaussian"}, "delta"),
        ({"delta": "1e-6"}, "delta"),
        ({"filters": [{"field": "month", "op": "like", "value": "x"}]}, "filters"),
        ({"filters": [{"field": "month", "op": "eq"}]}, "filters"),
        ({"wildcard": "*"}, "wildcard"),
        ({"department": "*"}, "department"),
    ],
)
def test_malformed_requests_are_refused_naming_the_field(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_request({**BASE, **changes})
    assert field in caught.value.messages, caught.value.messages
