"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from sqlalchemy.orm import Session

from civicdata.config import Config
from civicdata.context import Platform


def create_app(config: Config | None = None, platform: Platform | None = None) -> Flask:
    """Build the app; ``config`` defaults to the environment, parsed once."""
    config = config or (platform.config if platform else Config.from_env())
    platform = platform or Platform.build(config)
    app = Flask(__name__, instance_path=str(config.instance_path), static_folder=None)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=None,
        TESTING=config.env == "testing",
    )
    app.extensions["civic"] = platform
    app.teardown_appcontext(_close_session)

    from civicdata import errors
    from civicdata.api import init_api
    from civicdata.web import health, portal

    init_api(app)
    errors.register(app)  # after flask-smorest, which registers a plain-JSON handler
    app.register_blueprint(health.bp)
    app.register_blueprint(portal.bp)
    from civicdata.identity.portal import init_identity
    from civicdata.oauth.server import init_oauth
    from civicdata.web import auth

    init_identity(app)  # CSRF, portal sessions
    init_oauth(app)  # /oauth/*, /.well-known/*
    app.register_blueprint(auth.bp)
    from civicdata.web import auditor, transparency

    app.register_blueprint(auditor.bp)
    app.register_blueprint(transparency.bp)
    from civicdata.web import budgets, console, privacy_loss

    app.register_blueprint(console.bp)
    app.register_blueprint(budgets.bp)
    app.register_blueprint(privacy_loss.bp)
    from civicdata.web import citizen

    app.register_blueprint(citizen.bp)
    app.register_blueprint(citizen.public)
    return app


def current_platform() -> Platform:
    from flask import current_app

    platform: Platform = current_app.extensions["civic"]
    return platform


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_platform().sessions()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> Any:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
