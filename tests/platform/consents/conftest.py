"""Fixtures of the consent service tests: a registered citizen on the test platform."""

from __future__ import annotations

import pytest

from civicdata.context import Platform
from civicdata.identity.models import Account
from tests.support.oauth import new_citizen

EMAIL = "rosa@example.org"


@pytest.fixture
def citizen(platform_: Platform) -> Account:
    """A registered citizen (name Rosa) whose account and pseudonym exist, nothing else."""
    return new_citizen(platform_, EMAIL, name="Rosa")
