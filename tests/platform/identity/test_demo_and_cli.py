"""The demo sign-ins, ``civic accounts create`` and the sign-in help of ``civic serve``."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from civicdata.app import create_app
from civicdata.citizens import create_citizen
from civicdata.cli import cli
from civicdata.cli.base import CivicContext
from civicdata.cli.core import sign_in_help
from civicdata.identity.demo import CREDENTIALS_FILE, seed_demo_identity
from civicdata.identity.models import Account
from tests.support.cli import cli_env
from tests.support.oauth import sign_in


def _seed(platform_):
    with platform_.sessions() as session:
        ids = [
            create_citizen(session, platform_.vault, platform_.keys.blind_index).id
            for _ in range(4)
        ]
        credentials = seed_demo_identity(platform_, session, ids)
        session.commit()
    return ids, credentials


def test_demo_accounts_and_clients_work(client, platform_, config) -> None:
    ids, credentials = _seed(platform_)
    path = config.instance_path / CREDENTIALS_FILE
    assert credentials.path == path and oct(path.stat().st_mode & 0o777) == "0o600"
    document = json.loads(path.read_text())
    assert [c["email"] for c in document["citizens"]] == [
        f"citizen{n}@demo.city" for n in (1, 2, 3)
    ]
    with platform_.sessions() as session:
        linked = session.scalars(select(Account.citizen_id).where(Account.role == "citizen")).all()
    assert sorted(linked) == sorted(ids[:3])
    citizen = document["citizens"][0]
    assert sign_in(client, citizen["email"], citizen["password"]).status_code == 302
    analyst = document["analysts"]["transport"]
    staff_client = create_app(platform=platform_).test_client()
    assert sign_in(staff_client, analyst["email"], analyst["password"]).status_code == 302
    assert "transport" in staff_client.get("/account").text
    department = document["clients"]["department"]
    issued = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(department["client_id"], department["client_secret"]),
    )
    assert issued.status_code == 200 and issued.json["scope"] == "aggregates:request"
    assert document["clients"]["app"]["redirect_uris"] == ["http://127.0.0.1:8400/callback"]


def test_seeding_twice_keeps_accounts_and_renews_client_secrets(platform_, config) -> None:
    ids, first = _seed(platform_)
    with platform_.sessions() as session:
        second = seed_demo_identity(platform_, session, ids)
        session.commit()
        assert (
            len(session.scalars(select(Account)).all())
            == 3 + len(platform_.catalog.departments) + 2
        )
    assert first.clients["source"]["client_id"] == second.clients["source"]["client_id"]
    assert first.clients["source"]["client_secret"] != second.clients["source"]["client_secret"]


def test_sign_in_help_reads_the_demo_credentials(platform_, config) -> None:
    civic = CivicContext(config)
    assert any("civic accounts create" in line for line in sign_in_help(civic, "http://x"))
    _seed(platform_)
    help_text = "\n".join(sign_in_help(civic, "http://x"))
    assert "citizen1@demo.city" in help_text
    assert "analyst@transport.demo.city" in help_text
    assert "auditor@demo.city" in help_text
    assert "aggregates:request" in help_text and "audit:read" in help_text


def test_accounts_create_cli(platform_, config) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli,
        [
            "accounts",
            "create",
            "--role",
            "analyst",
            "--email",
            "eva@city.example",
            "--name",
            "  Eva   Lindqvist ",
            "--department",
            "water",
        ],
        env=cli_env(config),
        input="a long enough password\na long enough password\n",
    )
    assert created.exit_code == 0, created.output
    assert "a long enough password" not in created.output.split("\n", 2)[-1]
    with platform_.sessions() as session:
        account = session.scalars(select(Account)).one()
    assert account.role == "analyst" and account.department == "water"
    assert account.display_name == "Eva Lindqvist"
    refused = runner.invoke(
        cli,
        [
            "accounts",
            "create",
            "--role",
            "analyst",
            "--email",
            "x@city.example",
            "--name",
            "X",
            "--department",
            "mars",
        ],
        env=cli_env(config),
        input="a long enough password\na long enough password\n",
    )
    assert refused.exit_code != 0 and "--department" in refused.output


def test_accounts_set_name_and_list_cli(platform_, config) -> None:
    from tests.support.oauth import new_citizen, new_staff

    new_staff(platform_, "auditor", "aud@city.example")
    new_citizen(platform_, "resident@city.example")
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["accounts", *args], env=cli_env(config))

    renamed = run("set-name", "--email", "aud@city.example", "--name", "Noor Haddad")
    assert renamed.exit_code == 0, renamed.output
    listed = run("list")
    assert listed.exit_code == 0 and "auditor" in listed.output and "Noor Haddad" in listed.output
    assert "city.example" not in listed.output  # never an email
    resident = run("set-name", "--email", "resident@city.example", "--name", "Someone")
    assert resident.exit_code != 0 and "--email" in resident.output
    assert "residents have no display name" in resident.output
    blank = run("set-name", "--email", "aud@city.example", "--name", " \t ")
    assert blank.exit_code != 0 and "--name: must not be empty" in blank.output
    unknown = run("set-name", "--email", "nobody@city.example", "--name", "N")
    assert unknown.exit_code != 0 and "--email" in unknown.output


def test_demo_staff_have_names_and_older_demo_accounts_get_them(platform_) -> None:
    ids, _ = _seed(platform_)
    with platform_.sessions() as session:
        accounts = session.scalars(select(Account).where(Account.citizen_id.is_(None))).all()
        names = {(a.role, a.department): a.display_name for a in accounts}
        assert names[("analyst", "transport")] == "Ana Pereira"
        assert names[("auditor", None)] and names[("operator", None)]
        assert all(names.values())
        residents = session.scalars(select(Account).where(Account.citizen_id.is_not(None)))
        assert all(a.display_name is None for a in residents)
        for account in accounts:  # as seeded before staff had names
            account.display_name = None
        session.commit()
    with platform_.sessions() as session:
        seed_demo_identity(platform_, session, ids)
        session.commit()
        names = [a.display_name for a in session.scalars(select(Account)) if a.citizen_id is None]
    assert all(names)
