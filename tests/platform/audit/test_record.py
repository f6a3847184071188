"""Appending to the audit log: gapless indexes, canonical signed entries, separate commits."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from civicdata.audit import record_event, record_event_committed
from civicdata.audit.log import entry_signing_input
from civicdata.audit.merkle import leaf_hash
from civicdata.models import AuditEvent


def test_events_are_recorded_with_their_details(platform_) -> None:
    with platform_.sessions() as session:
        record_event(
            session,
            actor="client:transport",
            action="release.request",
            resource="trips",
            decision="deny",
            policy="p1",
            dataset="trips",
        )
        session.commit()
        event = session.scalars(select(AuditEvent)).one()
    assert (event.actor, event.action, event.decision) == (
        "client:transport",
        "release.request",
        "deny",
    )
    assert event.details == {"policy": "p1", "dataset": "trips"}
    assert event.dataset == "trips" and event.department is None
    assert event.at.tzinfo is not None


def test_entries_are_canonical_hashed_and_signed(platform_) -> None:
    with platform_.sessions() as session:
        record_event(session, actor="a", action="x", zeta=1, alpha="é")
        session.commit()
        event = session.scalars(select(AuditEvent)).one()
    assert event.entry == json.dumps(
        json.loads(event.entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert json.loads(event.entry)["at"].endswith("Z")
    assert event.leaf_hash == leaf_hash(event.entry.encode())
    assert json.loads(event.entry)["kid"] == platform_.signing.current("audit").kid
    platform_.signing.current("audit").ed25519.public_key().verify(
        event.signature, entry_signing_input(0, event.leaf_hash)
    )


def test_indexes_are_gapless_even_when_transactions_roll_back(platform_) -> None:
    for i in range(6):
        with platform_.sessions() as session:
            record_event(session, actor="a", action=f"act{i}")
            if i % 2:
                session.rollback()
            else:
                session.commit()
    with platform_.sessions() as session:
        ids = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert ids == [0, 1, 2]
    assert actions == ["act0", "act2", "act4"]


def test_committed_separately_survives_the_requests_rollback(platform_) -> None:
    """A denial is logged in its own transaction; the request's own entry rolls back.

    The request must not hold the head-row lock when it logs separately (it
    would wait on itself), so denials are logged before the request writes.
    """
    from civicdata.models import Citizen

    with platform_.sessions() as request:
        request.execute(select(AuditEvent.id)).all()
        record_event_committed(platform_.sessions, actor="a", action="login", decision="deny")
        request.add(Citizen(id="c-rolled-back"))
        record_event(request, actor="a", action="data.change")
        request.rollback()
    with platform_.sessions() as session:
        assert session.scalars(select(AuditEvent.action)).all() == ["login"]
        assert session.get(Citizen, "c-rolled-back") is None
    with platform_.sessions() as session:
        assert record_event(session, actor="a", action="next").id == 1  # no gap left behind


@pytest.mark.parametrize("key", ["password", "email", "token", "secret"])
def test_personal_data_and_secrets_are_refused(platform_, key: str) -> None:
    with platform_.sessions() as session, pytest.raises(ValueError, match=key):
        record_event(session, actor="a", action="b", **{key: "x"})
        assert session.scalars(select(AuditEvent)).all() == []


def test_a_session_without_signer_cannot_write(platform_) -> None:
    from sqlalchemy.orm import Session

    with Session(platform_.engine) as session, pytest.raises(RuntimeError, match="signer"):
        record_event(session, actor="a", action="b")
