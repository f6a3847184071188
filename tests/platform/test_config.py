from __future__ import annotations

import dataclasses

import pytest

from civicdata.config import Config, ConfigError

PROD = {
    "CIVIC_ENV": "production",
    "CIVIC_INSTANCE_PATH": "/srv/civic",
    "CIVIC_DATABASE_URL": "postgresql+psycopg://civic@db/civic",
    "CIVIC_SECRET_KEY": "x" * 40,
    "CIVIC_KEYS_DIR": "/srv/civic/keys",
    "CIVIC_KEYRING": "/srv/civic/keys/keyring.json",
    "CIVIC_PUBLIC_URL": "https://data.example.city",
}


def test_development_defaults_live_under_instance(tmp_path) -> None:
    cfg = Config.from_env({"CIVIC_INSTANCE_PATH": str(tmp_path)})
    assert cfg.env == "development"
    assert cfg.database_url == f"sqlite:///{tmp_path / 'civic.db'}"
    assert cfg.keyring_path == tmp_path / "keys" / "keyring.json"
    assert not cfg.secure_cookies


def test_config_is_frozen(tmp_path) -> None:
    cfg = Config.from_env({"CIVIC_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.database_url = "sqlite://"  # type: ignore[misc]


def test_production_accepts_complete_settings() -> None:
    cfg = Config.from_env(PROD)
    assert cfg.production and cfg.secure_cookies


@pytest.mark.parametrize(
    "missing", ["CIVIC_SECRET_KEY", "CIVIC_DATABASE_URL", "CIVIC_KEYRING", "CIVIC_INSTANCE_PATH"]
)
def test_production_requires_every_secret_and_location(missing: str) -> None:
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        Config.from_env(env)


def test_production_refuses_development_secret_and_http() -> None:
    with pytest.raises(ConfigError, match="CIVIC_SECRET_KEY"):
        Config.from_env({**PROD, "CIVIC_SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="CIVIC_PUBLIC_URL"):
        Config.from_env({**PROD, "CIVIC_PUBLIC_URL": "http://data.example.city"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CIVIC_ENV", "staging", "not one of"),
        ("CIVIC_SESSION_IDLE_MINUTES", "ten", "not an integer"),
        ("CIVIC_SESSION_IDLE_MINUTES", "0", "at least 1"),
        ("CIVIC_ARGON2_MEMORY_KIB", "64", "at least 19456"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"{name}.*{message}"):
        Config.from_env({"CIVIC_INSTANCE_PATH": str(tmp_path), name: value})
