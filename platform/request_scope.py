"""Request-scoped helpers, low in the import graph (as flaskr's ``get_db``).

Views, the OAuth wiring and the API import these, never the app factory, so
nothing below :mod:`civicdata.app` imports it back.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy.orm import Session

from civicdata.context import Platform

EXTENSION = "civic"


def current_platform() -> Platform:
    """The platform services of the running app."""
    platform: Platform = current_app.extensions[EXTENSION]
    return platform


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_platform().sessions()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None) -> Any:
    """Teardown: close the request's session, if one was opened."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
