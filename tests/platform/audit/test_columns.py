"""The columns auditors filter on are derived from, and checked against, the signed text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from civicdata.audit import record_event
from civicdata.audit.columns import COLUMNS, columns_of, mismatched_columns
from civicdata.audit.queries import verify_live_log
from civicdata.cli import cli
from civicdata.models import AuditEvent
from tests.support.cli import cli_env
from tests.support.tamper import allow_tampering

# A value each column can be relabelled to, without touching the signed text.
RELABEL = {
    "actor": "client:someone-else",
    "action": "api.access",
    "resource": "/elsewhere",
    "decision": "ok",
    "subject": "cit-other",
    "department": "health",
    "dataset": "visits",
    "purpose": "care",
    "details": {"dataset": "visits"},
}


def _fill(platform, n: int = 6) -> int:
    """``n`` denied transport entries; returns the index of the fourth."""
    with platform.sessions() as session:
        events = [
            record_event(
                session,
                actor="client:transport-app",
                action="release.request",
                resource="/api/v1/releases",
                decision="denied",
                subject="cit-1",
                department="transport",
                dataset="trips",
                purpose="mobility",
                n=i,
            )
            for i in range(n)
        ]
        session.commit()
    return events[3].id


def test_columns_are_what_the_signed_text_says(platform_) -> None:
    index = _fill(platform_)
    with platform_.sessions() as session:
        event = session.get(AuditEvent, index)
        signed = columns_of(event.entry)
        assert json.loads(event.entry)["details"]["department"] == "transport"
        for name in COLUMNS:
            assert getattr(event, name) == signed[name], name
        assert mismatched_columns(event) == []


def _relabel(platform, index: int, name: str, value: object) -> None:
    with platform.engine.begin() as conn:
        allow_tampering(conn)
        conn.execute(
            update(AuditEvent.__table__).where(AuditEvent.id == index).values({name: value})
        )


def test_civic_audit_verify_names_the_entry_of_each_relabelled_column(platform_, config) -> None:
    index = _fill(platform_)
    runner = CliRunner()
    env = cli_env(config)
    assert runner.invoke(cli, ["audit", "verify"], env=env).exit_code == 0
    with platform_.sessions() as session:
        original = {name: getattr(session.get(AuditEvent, index), name) for name in COLUMNS}
    changes = {**RELABEL, "at": original["at"] + timedelta(seconds=1)}
    assert set(changes) == set(COLUMNS)
    for name, value in changes.items():
        _relabel(platform_, index, name, value)
        result = runner.invoke(cli, ["audit", "verify"], env=env)
        assert result.exit_code == 1, (name, result.output)
        assert f"FAILED at entry {index}" in result.output, name
        assert f"entry {index}: its {name} column says" in result.output, name
        _relabel(platform_, index, name, original[name])
    assert runner.invoke(cli, ["audit", "verify"], env=env).exit_code == 0


def test_live_verification_names_a_relabelled_entry(platform_) -> None:
    index = _fill(platform_)
    _relabel(platform_, index, "decision", "ok")
    with platform_.sessions() as session:
        live = verify_live_log(session, platform_.signing, platform_.audit_origin)
        assert not live.result.ok and live.result.first_bad == index
        assert any("decision column says 'ok'" in p for p in live.result.problems)
        assert mismatched_columns(session.get(AuditEvent, index)) == ["decision"]


@pytest.mark.parametrize("name", ["department", "decision"])
def test_views_read_the_signed_text_and_flag_the_relabelled_entry(platform_, name) -> None:
    from civicdata.audit.queries import EventFilter, list_events, signed_view

    index = _fill(platform_)
    _relabel(platform_, index, name, RELABEL[name])
    with platform_.sessions() as session:
        (found,) = list_events(session, EventFilter(**{name: RELABEL[name]})).events
        view = signed_view(found)
    assert found.id == index
    assert view[name] == {"department": "transport", "decision": "denied"}[name]
    assert view["columns_verified"] is False
