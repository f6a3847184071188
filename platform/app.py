"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from civicdata import errors
from civicdata.api import init_api
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.identity.portal import init_identity
from civicdata.oauth.server import init_oauth
from civicdata.request_scope import EXTENSION, close_session
from civicdata.web import (
    auditor,
    auth,
    budgets,
    citizen,
    civic_keys,
    console,
    health,
    portal,
    privacy_loss,
    transparency,
)


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
    app.extensions[EXTENSION] = platform
    app.teardown_appcontext(close_session)

    init_api(app)
    errors.register(app)  # after flask-smorest, which registers a plain-JSON handler
    app.register_blueprint(health.bp)
    app.register_blueprint(portal.bp)

    init_identity(app)  # CSRF, portal sessions
    init_oauth(app)  # /oauth/*, /.well-known/*
    app.register_blueprint(auth.bp)

    app.register_blueprint(auditor.bp)
    app.register_blueprint(transparency.bp)

    app.register_blueprint(console.bp)
    app.register_blueprint(budgets.bp)
    app.register_blueprint(privacy_loss.bp)

    app.register_blueprint(citizen.bp)
    app.register_blueprint(citizen.public)
    app.register_blueprint(civic_keys.bp)
    return app
