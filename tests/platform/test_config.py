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
    "CIVIC_ALLOW_LOCAL_KEYRING": "1",
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


def test_production_refuses_the_local_keyring_unless_allowed() -> None:
    refused = {k: v for k, v in PROD.items() if k != "CIVIC_ALLOW_LOCAL_KEYRING"}
    with pytest.raises(ConfigError, match="CIVIC_ALLOW_LOCAL_KEYRING=1"):
        Config.from_env(refused)


def test_pkcs11_settings_take_the_pin_from_a_file(tmp_path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("123456\n")
    hsm = {
        **{
            k: v for k, v in PROD.items() if k not in ("CIVIC_ALLOW_LOCAL_KEYRING", "CIVIC_KEYRING")
        },
        "CIVIC_KEY_MANAGER": "pkcs11",
        "CIVIC_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
        "CIVIC_PKCS11_TOKEN_LABEL": "civic",
        "CIVIC_PKCS11_PIN_FILE": str(pin),
    }
    cfg = Config.from_env(hsm)
    assert (cfg.key_manager, cfg.pkcs11_token_label, cfg.pkcs11_pin) == (
        "pkcs11",
        "civic",
        "123456",
    )
    with pytest.raises(ConfigError, match="CIVIC_PKCS11_TOKEN_LABEL"):
        Config.from_env({k: v for k, v in hsm.items() if k != "CIVIC_PKCS11_TOKEN_LABEL"})


def test_release_executors_are_configured_once(tmp_path) -> None:
    base = {"CIVIC_INSTANCE_PATH": str(tmp_path)}
    assert Config.from_env(base).release_workers >= 1  # the cores
    assert Config.from_env({**base, "CIVIC_ENV": "testing"}).release_workers == 0
    assert Config.from_env({**base, "CIVIC_RELEASE_WORKERS": "3"}).release_workers == 3
    assert Config.from_env(base).dask_scheduler is None
    chosen = Config.from_env({**base, "CIVIC_DASK_SCHEDULER": "tcp://10.0.0.5:8786"})
    assert chosen.dask_scheduler == "tcp://10.0.0.5:8786"


@pytest.mark.parametrize("address", ["10.0.0.5:8786", "http://h:8786", "tcp://h", "tcp://:1"])
def test_a_malformed_dask_scheduler_names_the_variable(tmp_path, address: str) -> None:
    with pytest.raises(ConfigError, match="CIVIC_DASK_SCHEDULER"):
        Config.from_env({"CIVIC_INSTANCE_PATH": str(tmp_path), "CIVIC_DASK_SCHEDULER": address})
