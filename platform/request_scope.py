"""Request-scoped helpers and the request's unit of work, low in the import graph.

Views, the OAuth wiring and the API import these, never the app factory, so
nothing below :mod:`civicdata.app` imports it back (as flaskr's ``get_db``).

**One owner of each transaction.** A request has one session
(:func:`db_session`). Services take it and never commit or roll back; views
do not commit either. The request scope ends the unit of work: a response
below 400 commits it, anything else (an error answer, an exception) rolls it
back. A view that must record a refusal although the request fails first
calls :func:`discard_changes` and then writes the refusal in a short
transaction of its own (:func:`civicdata.audit.record_event_committed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from civicdata.context import Platform

if TYPE_CHECKING:
    from civicdata.releases.jobs import JobRunner

EXTENSION = "civic"
JOBS_EXTENSION = "civic_jobs"


def current_platform() -> Platform:
    """The platform services of the running app."""
    platform: Platform = current_app.extensions[EXTENSION]
    return platform


def current_jobs() -> JobRunner:
    """The running app's release jobs (:mod:`civicdata.releases.jobs`)."""
    jobs: JobRunner = current_app.extensions[JOBS_EXTENSION]
    return jobs


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_platform().sessions()
    session: Session = g.db_session
    return session


def discard_changes() -> None:
    """Roll back what the request wrote so far (before auditing a refusal on its own)."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def end_unit_of_work(response: Response) -> Response:
    """``after_request``: commit a successful request's changes, roll back any other's."""
    session = g.get("db_session")
    if session is not None:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def close_session(_exc: BaseException | None) -> Any:
    """Teardown: close the request's session (rolling back anything uncommitted)."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_request_scope(app: Flask, platform: Platform) -> None:
    """Install ``platform`` and the unit of work on ``app``."""
    app.extensions[EXTENSION] = platform
    app.after_request(end_unit_of_work)
    app.teardown_appcontext(close_session)
