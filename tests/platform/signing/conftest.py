"""A platform with a keys directory of its own, so rotating keys touches no other test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicdata.config import Config
from civicdata.context import Platform
from tests.conftest import make_config


@pytest.fixture
def own_config(tmp_path: Path, keys_dir: Path, db_url: str) -> Config:
    own = tmp_path / "keys"
    shutil.copytree(keys_dir, own)
    return make_config(tmp_path, own, db_url)


@pytest.fixture
def own_platform(own_config: Config) -> Iterator[Platform]:
    built = Platform.build(own_config)
    built.signing.register()
    yield built
    built.engine.dispose()
