"""On PostgreSQL the database itself keeps the log and consent history append-only."""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from civicdata.audit import record_event
from civicdata.audit.db_roles import APPEND_ONLY_TABLES, RoleLayoutError, role_layout
from civicdata.cli import cli
from civicdata.consents.changes import give_consent
from civicdata.consents.erasure import erase_me
from civicdata.consents.recording import Collector
from civicdata.context import Platform
from civicdata.identity.models import Account
from civicdata.models import CitizenKey, RecordBlock
from civicdata.records import write_blocks
from tests.conftest import make_config
from tests.support.cli import cli_env
from tests.support.oauth import new_citizen

TRIP = {"mode": "bus", "district": "Harbour", "month": "2025-05", "duration_min": 12.0}
CHANGES = {
    "UPDATE": "UPDATE {table} SET {column} = {column}",
    "DELETE": "DELETE FROM {table}",
    "TRUNCATE": "TRUNCATE {table} CASCADE",
}
SOME_COLUMN = {
    "audit_events": "actor",
    "audit_cosignatures": "line",
    "audit_checkpoints": "note",
    "consent_events": "state",
    "notice_versions": "texts",
    "public_releases": "document",
}


def _history(platform: Platform) -> Account:
    """A citizen with a consent, records and audit entries, made through ``platform``."""
    account = new_citizen(platform, f"{secrets.token_hex(4)}@example.org")
    cid = str(account.citizen_id)
    with platform.sessions() as session:
        give_consent(
            platform,
            session,
            cid,
            "transport-planning",
            language="en",
            collector=Collector(method="portal", actor=cid),
        )
        cipher = platform.vault.cipher(session, cid)
        write_blocks(session, {cid: cipher}, platform.catalog.datasets["trips"], {cid: [TRIP]})
        record_event(session, actor=cid, action="test.append", subject=cid)
        session.commit()
    return account


def _refused(engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.execute(text(statement))
    return str(refused.value.orig)


def test_history_tables_refuse_changes_even_from_their_owner(platform_, db_url) -> None:
    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    _history(platform_)
    for table in APPEND_ONLY_TABLES:
        for verb, statement in CHANGES.items():
            sql = statement.format(table=table, column=SOME_COLUMN[table])
            assert f"{table} is append-only: {verb} refused" in _refused(platform_.engine, sql)


def test_db_roles_refuses_sqlite_and_bad_names(config, db_url) -> None:
    result = CliRunner().invoke(cli, ["db", "roles"], env=cli_env(config))
    if make_url(db_url).get_backend_name() == "sqlite":
        assert result.exit_code != 0 and "only on PostgreSQL" in result.output
    else:
        assert result.exit_code == 0 and "GRANT SELECT, INSERT, UPDATE, DELETE" in result.output
        assert "REVOKE UPDATE, DELETE, TRUNCATE" in result.output
    with pytest.raises(RoleLayoutError):
        role_layout("test", 'civic"; DROP TABLE audit_events; --')


@pytest.fixture
def app_role(config, db_url):
    """A fresh application role set up by ``civic db roles --apply``; dropped afterwards."""
    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    role = f"civic_app_{secrets.token_hex(4)}"
    applied = CliRunner().invoke(
        cli, ["db", "roles", "--app-role", role, "--apply"], env=cli_env(config)
    )
    assert applied.exit_code == 0, applied.output
    yield role
    owner = create_engine(db_url)
    with owner.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))
    owner.dispose()


def test_under_the_application_role_history_is_insert_only_and_erasure_works(
    app_role, config, db_url, tmp_path
) -> None:
    as_app = make_url(db_url).set(username=app_role).render_as_string(hide_password=False)
    platform = Platform.build(make_config(tmp_path, config.keys_dir, as_app))
    try:
        account = _history(platform)  # inserts work: consent, records, audit entries
        cid = str(account.citizen_id)
        for table in APPEND_ONLY_TABLES:
            for statement in CHANGES.values():
                sql = statement.format(table=table, column=SOME_COLUMN[table])
                assert "permission denied" in _refused(platform.engine, sql), sql
        bypass = _refused(platform.engine, "SET session_replication_role = replica")
        assert "permission denied" in bypass
        with platform.sessions() as session:
            erase_me(
                platform, session, session.get(Account, account.id), confirmed=True, language="en"
            )
            session.commit()
        with platform.sessions() as session:
            assert session.get(CitizenKey, cid) is None
            assert not session.query(RecordBlock).filter(RecordBlock.citizen_id == cid).count()
            with session.connection() as conn:
                history = conn.execute(
                    text("SELECT state FROM consent_events WHERE subject_id = :c ORDER BY seq"),
                    {"c": cid},
                ).scalars()
                assert list(history) == ["given", "withdrawn"]
    finally:
        platform.engine.dispose()
