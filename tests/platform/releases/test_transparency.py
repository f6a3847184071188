"""The transparency service: only public releases, as signed, and nothing about who asked."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from sqlalchemy import func, select

from civicdata.audit.log import canonical_json
from civicdata.config import DEFAULT_CITY_DIR, Config
from civicdata.context import Platform
from civicdata.db import utcnow
from civicdata.models import AuditEvent, PublicRelease
from civicdata.releases import publication
from civicdata.releases.service import ReleaseService, Requester
from civicdata.releases.transparency import public_release, transparency_report
from tests.platform.releases.city import TinyCity, count_query

TRANSPORT = Requester(department="transport", actor="client:transport-secret-app")
STATISTICS = Requester(department="statistics", actor="account:statistician-007")
STATISTICS_PURPOSE = "population-statistics"


def _city(tmp_path: Path) -> Path:
    """The demo city with the transport grant not public (statistics-trips stays public)."""
    city = tmp_path / "city"
    shutil.copytree(DEFAULT_CITY_DIR, city)
    transport = city / "policies" / "transport.yaml"
    transport.write_text(transport.read_text().replace("    public: true\n", ""))
    return city


@pytest.fixture
def platform2(tmp_path: Path, config: Config) -> Iterator[Platform]:
    built = Platform.build(dataclasses.replace(config, city_dir=_city(tmp_path)))
    assert not built.policy_set.get("transport-trips").public
    assert built.policy_set.get("statistics-trips").public
    yield built
    built.engine.dispose()


@pytest.fixture
def released(platform2: Platform) -> dict[str, str]:
    """One transport release (not public) and one statistics release (public) on trips."""
    city = TinyCity(platform2)
    people = city.citizens(6)
    city.trips(people, each=2)
    city.consent(people)
    city.consent(people, STATISTICS_PURPOSE)
    service = ReleaseService(platform2)
    hidden = service.request(TRANSPORT, count_query("0.5"))
    shown = service.request(
        STATISTICS, {**count_query("0.25"), "purpose": STATISTICS_PURPOSE, "group_by": ["mode"]}
    )
    return {"hidden": hidden.release.id, "public": shown.release.id}


def test_only_the_public_release_is_published_signed_and_without_who_asked(
    platform2, released
) -> None:
    with platform2.sessions() as session:
        report = transparency_report(session, platform2, utcnow())
        assert session.scalar(select(func.count()).select_from(PublicRelease)) == 1
        assert public_release(session, platform2, released["hidden"]) is None
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions.count("release.publish") == 1
    [shown] = report.releases.releases
    assert shown.id == released["public"]
    assert shown.department_name == "City Statistics Office"
    assert shown.words.months == "2025-03" and shown.words.group_by == "mode"
    assert shown.words.measures == ["trips: number of records"]
    body = json.dumps(report.as_dict())
    assert released["hidden"] not in body
    for secret in ("statistician-007", "transport-secret-app", "requested_by"):
        assert secret not in body
    cells = shown.statement["cells"]
    assert cells and all(c["lower"] <= c["value"] <= c["upper"] for c in cells)

    history = platform2.signing.history()
    signature = shown.signature
    publication.verify(shown.statement, signature["value"], signature["key_id"], history)
    key = history.get(signature["key_id"], "releases").public_key
    message = (
        b"civic-public-release/v1\n"
        + signature["key_id"].encode()
        + b"\n"
        + canonical_json(report.as_dict()["releases"][0]["release"])
    )
    key.verify(base64.b64decode(signature["value"]), message)  # type: ignore[union-attr]
    altered = {**shown.statement, "epsilon": "0.01"}
    with pytest.raises(InvalidSignature):
        publication.verify(altered, signature["value"], signature["key_id"], history)


def test_budgets_count_every_release_and_policies_say_which_are_public(platform2, released) -> None:
    with platform2.sessions() as session:
        report = transparency_report(session, platform2, utcnow())
    trips = next(b for b in report.budgets if b.dataset == "trips")
    assert trips.spent == "0.75" and trips.cap == "6"
    assert trips.by_month[0]["epsilon"] == "0.75"
    assert float(trips.remaining) == pytest.approx(6 - 0.75)
    policies = {p["id"]: p for p in report.policies.policies}
    assert policies["statistics-trips"]["public"] is True
    assert policies["transport-trips"]["public"] is False
    assert policies["transport-trips"]["department_name"] == "Department of Transport"
    assert report.checkpoint is None  # no witness has cosigned yet


def test_pages_follow_the_publication_order(platform2, released) -> None:
    service = ReleaseService(platform2)
    more = service.request(
        STATISTICS, {**count_query("0.25"), "purpose": STATISTICS_PURPOSE, "group_by": ["district"]}
    )
    with platform2.sessions() as session:
        first = transparency_report(session, platform2, utcnow(), limit=1).releases
        assert [r.id for r in first.releases] == [more.release.id]
        assert first.next_before is not None
        second = transparency_report(session, platform2, utcnow(), first.next_before, 1).releases
    assert [r.id for r in second.releases] == [released["public"]]
    assert second.next_before is None
