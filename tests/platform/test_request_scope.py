"""The request owns its transaction: success commits, an error answer or exception rolls back."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from sqlalchemy import func, select

from civicdata.audit import record_event
from civicdata.context import Platform
from civicdata.models import AuditEvent
from civicdata.request_scope import db_session


@pytest.fixture
def probed(app: Flask) -> Flask:
    """The app with a route that writes an audit entry, then answers ``status`` or raises."""
    probe = Blueprint("unit_of_work_probe", __name__)

    @probe.get("/probe/<int:status>")  # GET: the probe needs no CSRF token
    def write_then_answer(status: int) -> tuple[str, int]:
        record_event(db_session(), actor="test:probe", action="probe", resource=str(status))
        if status == 500:
            raise RuntimeError("the view failed after writing")
        return "", status

    app.register_blueprint(probe)
    return app


def _written(platform: Platform) -> list[str]:
    with platform.sessions() as session:
        return sorted(
            session.scalars(select(AuditEvent.resource).where(AuditEvent.action == "probe"))
        )


@pytest.mark.parametrize(
    ("status", "kept"), [(200, True), (302, True), (400, False), (409, False), (500, False)]
)
def test_the_request_commits_only_when_it_succeeds(
    probed: Flask, platform_: Platform, status: int, kept: bool
) -> None:
    answer = probed.test_client().get(f"/probe/{status}")
    assert answer.status_code == status
    assert _written(platform_) == ([str(status)] if kept else [])


def test_a_rolled_back_request_leaves_no_session_behind(probed: Flask, platform_: Platform) -> None:
    client = probed.test_client()
    client.get("/probe/409")
    client.get("/probe/201")
    assert _written(platform_) == ["201"]
    with platform_.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
