"""One representative day of the platform, driven through its real routes.

A citizen signs in and consents (through an app's consent screen and the
consent API), a source uploads trips, a department plans, gets a release and
is denied one. Log and metrics tests run it and inspect what was recorded.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from civicdata.app import create_app
from civicdata.config import Config
from civicdata.context import Platform
from tests.platform.releases.city import TinyCity, count_query
from tests.support.oauth import PASSWORD, citizen_token, new_client, token_request

METRICS_TOKEN = "metrics-" + "m" * 40
CITIZEN_EMAIL = "observed.citizen@example.org"
TRAVEL_CARD = "TC-OBSERVED-"


def metrics_app(config: Config) -> tuple[Flask, Platform]:
    """An app whose ``/metrics`` is open to :data:`METRICS_TOKEN`."""
    platform = Platform.build(dataclasses.replace(config, metrics_token=METRICS_TOKEN))
    return create_app(platform=platform), platform


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _service(client: FlaskClient, platform: Platform, **kwargs: Any) -> tuple[str, str]:
    """A new service client's secret and a client-credentials access token."""
    registered = new_client(platform, **kwargs)
    answer = token_request(
        client, registered, grant_type="client_credentials", scope=" ".join(kwargs["scopes"])
    )
    assert answer.status_code == 200, answer.text
    return registered.secret, str(answer.json["access_token"])


def run_a_day(client: FlaskClient, platform: Platform) -> dict[str, Any]:
    """Run the day; returns what the logs must not contain and what the API answered."""
    issued = citizen_token(
        client, platform, scopes=["openid", "consent:read", "consent:write"], email=CITIZEN_EMAIL
    )
    given = client.post(
        "/api/v1/consents/transport-planning", json={}, headers=_bearer(issued["access_token"])
    )
    assert given.status_code == 201, given.text

    source_secret, source_token = _service(client, platform, role="source", scopes=["ingest:trips"])
    trips = [
        {
            "source_id": f"obs-{i}",
            "travel_card": f"{TRAVEL_CARD}{i % 4}",
            "mode": "tram",
            "district": "Old Town",
            "month": "2025-06",
            "duration_min": 12,
        }
        for i in range(8)
    ]
    uploaded = client.post(
        "/api/v1/datasets/trips/records/bulk",
        data="".join(json.dumps(t) + "\n" for t in trips).encode(),
        headers={
            **_bearer(source_token),
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": "observed-1",
        },
    )
    assert uploaded.status_code == 201, uploaded.text

    TinyCity(platform).populated(3)
    dept_secret, dept_token = _service(
        client, platform, role="department", scopes=["aggregates:request"], department="transport"
    )
    released = client.post(
        "/api/v1/releases",
        json=count_query("0.5"),
        headers={**_bearer(dept_token), "X-Request-ID": "release-probe-1"},
    )
    assert released.status_code == 201, released.text
    denied = client.post("/api/v1/releases", json=count_query("1.5"), headers=_bearer(dept_token))
    assert denied.status_code == 403, denied.text
    return {
        "released": released,
        "ingestion": uploaded.json["id"],
        "secrets": {
            "citizen email": CITIZEN_EMAIL,
            "password": PASSWORD,
            "access token": issued["access_token"],
            "refresh token": issued["refresh_token"],
            "id token": issued["id_token"],
            "app secret": issued["client"].secret,
            "source secret": source_secret,
            "source token": source_token,
            "department secret": dept_secret,
            "department token": dept_token,
            "travel card": TRAVEL_CARD,
        },
    }
