"""Production refuses development shortcuts: ``civic demo``, fixed passwords, demo accounts."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from civicdata.app import create_app
from civicdata.citizens import create_citizen
from civicdata.cli import cli
from civicdata.context import Platform
from civicdata.identity.demo import (
    CITIZEN_PASSWORD,
    CREDENTIALS_FILE,
    STAFF_PASSWORD,
    DemoAccountsInProduction,
    demo_accounts_present,
    seed_demo_identity,
)
from tests.support.cli import cli_env
from tests.support.oauth import new_staff, sign_in

ANYWAY = "--i-know-this-is-not-production"
PRODUCTION = {
    "CIVIC_ENV": "production",
    "CIVIC_SECRET_KEY": "x" * 40,
    "CIVIC_PUBLIC_URL": "https://city.example",
    "CIVIC_ARGON2_TIME_COST": "2",
    "CIVIC_ARGON2_MEMORY_KIB": "19456",
    "CIVIC_ALLOW_LOCAL_KEYRING": "1",  # the test's keys are a local keyring
}


def _in(platform_: Platform, env: str) -> Platform:
    return dataclasses.replace(platform_, config=dataclasses.replace(platform_.config, env=env))


def _seed(platform_: Platform):  # type: ignore[no-untyped-def]
    with platform_.sessions() as session:
        ids = [create_citizen(session, platform_.vault, platform_.keys.blind_index).id]
        credentials = seed_demo_identity(platform_, session, ids)
        session.commit()
    return credentials


@pytest.mark.parametrize("env", [PRODUCTION, {"CIVIC_ENV": "testing"}])
def test_civic_demo_refuses_outside_development(config, platform_, env) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["demo", "--citizens", "3"], env={**cli_env(config), **env})
    assert result.exit_code == 1 and "CIVIC_ENV=development" in result.output, result.output
    assert ANYWAY in result.output
    with platform_.sessions() as session:
        assert demo_accounts_present(session, platform_) == []


def test_the_explicit_flag_never_seeds_a_database_with_real_accounts(config, platform_) -> None:  # type: ignore[no-untyped-def]
    new_staff(platform_, "auditor", "real.auditor@city.example")
    result = CliRunner().invoke(cli, ["demo", "--citizens", "3", ANYWAY], env=cli_env(config))
    assert result.exit_code == 1 and "production database" in result.output, result.output
    with platform_.sessions() as session:
        assert demo_accounts_present(session, platform_) == []


def test_outside_development_demo_passwords_are_random_and_work(client, platform_, config) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["demo", "--citizens", "3", ANYWAY], env=cli_env(config))
    assert result.exit_code == 0, result.output
    document = json.loads((config.instance_path / CREDENTIALS_FILE).read_text())
    passwords = [c["password"] for c in document["citizens"]] + [document["auditor"]["password"]]
    assert not {CITIZEN_PASSWORD, STAFF_PASSWORD} & set(passwords)
    assert len(set(passwords)) == len(passwords)
    assert sign_in(client, "auditor@demo.city", STAFF_PASSWORD).status_code == 401
    assert sign_in(client, "auditor@demo.city", document["auditor"]["password"]).status_code == 302


def test_reseeding_gives_existing_demo_accounts_the_new_random_password(client, platform_) -> None:  # type: ignore[no-untyped-def]
    _seed(platform_)
    second = _seed(platform_)
    assert sign_in(client, "auditor@demo.city", second.auditor["password"]).status_code == 302


def test_the_fixed_demo_passwords_exist_only_in_development(platform_) -> None:  # type: ignore[no-untyped-def]
    credentials = _seed(_in(platform_, "development"))
    assert credentials.auditor["password"] == STAFF_PASSWORD
    assert credentials.citizens[0]["password"] == CITIZEN_PASSWORD


def test_production_start_up_refuses_a_database_with_demo_accounts(platform_) -> None:  # type: ignore[no-untyped-def]
    production = _in(platform_, "production")
    create_app(platform=production)  # a clean database starts
    _seed(platform_)
    with pytest.raises(DemoAccountsInProduction, match="demo account"):
        create_app(platform=production)
    create_app(platform=_in(platform_, "development"))  # development still starts
