"""Fixtures of the release tests: a tiny city and the release service on it."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicdata.config import DEFAULT_CITY_DIR, Config
from civicdata.context import Platform
from civicdata.releases.service import ReleaseService, Requester
from tests.platform.releases.city import TinyCity

TRANSPORT = Requester(department="transport", actor="client:transport-test")


@pytest.fixture
def city(platform_: Platform) -> TinyCity:
    return TinyCity(platform_)


@pytest.fixture
def service(platform_: Platform) -> ReleaseService:
    return ReleaseService(platform_)


def _generous_city(tmp_path: Path) -> Path:
    """The demo city files, with a transport grant that allows epsilon 10 per query,
    one record per citizen and a large budget: noise small enough to see one citizen."""
    city = tmp_path / "city"
    shutil.copytree(DEFAULT_CITY_DIR, city)
    policy = city / "policies" / "transport.yaml"
    text = policy.read_text()
    text = text.replace("max_epsilon_per_query: 1.0", "max_epsilon_per_query: 10")
    text = text.replace(
        "budget: {epsilon: 4.0, period: P30D}", "budget: {epsilon: 200, period: P30D}"
    )
    text = text.replace(
        "approvers: [Data Protection Officer, Director of Transport]",
        "approvers: [Data Protection Officer, Director of Transport]\n"
        "    max_records_per_citizen: 1",
    )
    policy.write_text(text)
    catalog = city / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "city_cap: {epsilon: 6.0, period: P30D}", "city_cap: {epsilon: 300, period: P30D}", 1
        )
    )
    return city


@pytest.fixture
def generous(tmp_path: Path, config: Config) -> Iterator[Platform]:
    """A platform whose transport policy allows near-exact answers (for invariant tests)."""
    built = Platform.build(dataclasses.replace(config, city_dir=_generous_city(tmp_path)))
    assert built.policy_set.get("transport-trips").max_records_per_citizen == 1
    yield built
    built.engine.dispose()
