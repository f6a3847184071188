"""A release end to end through the API, against the same OpenDP query on plaintext.

``POST /api/v1/releases`` (Flask test client, a department's bearer token) for
count and mean trip duration by district over one month range: the policy
decision and ledger reservation, the consent filter, reading and decrypting
every consenting citizen's blocks, bounding, noise, storing, signing and
the audit entries. The baseline is the same
``anonymise.release`` call on the same consenting citizens' records already
in memory as a plaintext Polars frame, measured in the same run. Each step
runs ``REPEAT`` times (``fresh``, so each one spends); the median is reported.
If the demo city holds no consents, every citizen is given consent to the
purpose first (in bulk, through :mod:`consent.bulk`).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from anonymise.query import QuerySchema
from anonymise.release import release
from benchmarks.instance import BenchInstance
from benchmarks.report import Measurement, median_time
from civicdata.app import create_app
from civicdata.consents.issuers import ensure_published, receipt_issuer
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.oauth.clients import register_client
from civicdata.oauth.scopes import platform_scopes
from civicdata.records import scan_dataset
from civicdata.releases.policy_request import bounds_for
from consent.bulk import give_many
from consent.eligibility import eligible_subjects

PURPOSE = "transport-planning"
REPEAT = 3
QUERY: dict[str, Any] = {
    "dataset": "trips",
    "purpose": PURPOSE,
    "measures": [
        {"kind": "count", "name": "trips"},
        {"kind": "mean", "name": "minutes", "field": "duration_min"},
    ],
    "group_by": ["district"],
    "filters": [{"field": "month", "between": ["2025-01", "2025-03"]}],
    "epsilon": "0.5",
    "fresh": True,
}
BASELINE = "OpenDP on plaintext frame"


def _ensure_consents(platform: Platform, citizen_ids: list[str]) -> str:
    """Consent for every citizen if the demo city has none for the purpose."""
    with platform.sessions() as session:
        eligible = session.scalar(
            select(func.count()).select_from(eligible_subjects(PURPOSE, utcnow()).subquery())
        )
        if eligible:
            return f"{eligible:,} demo consents"
        purpose = platform.purposes[PURPOSE]
        ensure_published(platform, session, [purpose])
        give_many(
            session,
            citizen_ids,
            purpose,
            language="en",
            method="portal",
            now=utcnow(),
            issuer=receipt_issuer(platform, purpose),
        )
        session.commit()
    return f"{len(citizen_ids):,} consents given by the benchmark"


def _token(platform: Platform, client: FlaskClient) -> str:
    with platform.sessions() as session:
        registered = register_client(
            session,
            scope_catalog=platform_scopes(platform.purposes, platform.catalog.datasets),
            departments=set(platform.catalog.departments),
            name="benchmark transport",
            role="department",
            scopes=["aggregates:request"],
            department="transport",
        )
        session.commit()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "aggregates:request"},
        auth=(registered.client.client_id, registered.secret),
    )
    return str(response.json["access_token"])  # type: ignore[index]


def _through_api(client: FlaskClient, token: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/releases", json=QUERY, headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"release failed: {response.status_code} {response.text}")
    return response.json  # type: ignore[return-value]


def run(instance: BenchInstance) -> list[Measurement]:
    platform = instance.platform
    note = _ensure_consents(platform, instance.city.citizen_ids)
    catalog = platform.catalog
    spec = catalog.datasets["trips"]
    query_body = {k: v for k, v in QUERY.items() if k != "fresh"}
    query = QuerySchema(catalog=catalog).load(query_body)
    bounds = bounds_for(platform.policy_set.get("transport-trips"), spec)
    with platform.engine.connect() as conn:
        frame = scan_dataset(conn, platform.vault, spec, eligible_subjects(PURPOSE, utcnow()))
    epsilon = Decimal(QUERY["epsilon"])
    engine = partial(release, bounds=bounds)
    baseline_s, _ = median_time(REPEAT, engine, query, frame, catalog, epsilon)
    records = frame.height
    del frame

    app = create_app(platform=platform)
    client = app.test_client()
    token = _token(platform, client)
    api_s, body = median_time(REPEAT, _through_api, client, token)
    if Decimal(body["release"]["epsilon"]) != epsilon:
        raise RuntimeError(f"the release spent {body['release']['epsilon']}")
    return [
        Measurement(BASELINE, records, baseline_s, note="consenting citizens' records"),
        Measurement(
            "POST /api/v1/releases (count, mean by district)",
            records,
            api_s,
            baselines=(BASELINE,),
            note=note,
        ),
    ]
