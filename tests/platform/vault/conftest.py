"""The run's SoftHSM2 token, for the PKCS#11 key-manager tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from civicdata.config import Config
from civicdata.context import Platform
from tests.support.softhsm import SoftHsmToken, create_token, require_softhsm, softhsm_conf


@pytest.fixture(scope="session")
def hsm_token(tmp_path_factory: pytest.TempPathFactory) -> SoftHsmToken:
    require_softhsm()
    softhsm_conf(tmp_path_factory.mktemp("softhsm"))
    return create_token("civic-test")


@pytest.fixture
def hsm_platform(config: Config, hsm_token: SoftHsmToken) -> Iterator[Platform]:
    """The platform with its master keys in the SoftHSM2 token (CIVIC_KEY_MANAGER=pkcs11)."""
    hsm_config = dataclasses.replace(config, **hsm_token.settings())  # type: ignore[arg-type]
    from civicdata.keys import ensure_keys

    ensure_keys(hsm_config)  # a first master key in the token, if it holds none
    built = Platform.build(hsm_config)
    yield built
    built.engine.dispose()
