from __future__ import annotations

import pytest
from sqlalchemy import select

from civicdata.audit import record_event
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
        )
        session.commit()
        event = session.scalars(select(AuditEvent)).one()
    assert (event.actor, event.action, event.decision) == (
        "client:transport",
        "release.request",
        "deny",
    )
    assert event.details == {"policy": "p1"}
    assert event.at.tzinfo is not None


@pytest.mark.parametrize("key", ["password", "email", "token", "secret"])
def test_personal_data_and_secrets_are_refused(platform_, key: str) -> None:
    with platform_.sessions() as session, pytest.raises(ValueError, match=key):
        record_event(session, actor="a", action="b", **{key: "x"})
