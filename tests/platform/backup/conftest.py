"""The backup tests restore into the test database, with a keys directory of their own."""

from tests.platform.signing.conftest import own_config, own_platform

__all__ = ["own_config", "own_platform"]
