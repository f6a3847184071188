"""Fixtures for the DP engine tests: the demo catalog."""

from __future__ import annotations

import pytest

from policies.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()
