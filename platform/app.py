"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from civicdata import errors
from civicdata.api import init_api
from civicdata.config import Config
from civicdata.context import Platform
from civicdata.edge import init_edge
from civicdata.i18n import init_i18n
from civicdata.identity.demo import refuse_demo_accounts_in_production
from civicdata.identity.portal import init_identity, remembered_locale
from civicdata.input_guard import init_input_guard
from civicdata.logs import configure_logging
from civicdata.oauth import routes as oauth_routes
from civicdata.oauth.server import init_oauth
from civicdata.rate_limits import init_rate_limits
from civicdata.releases.jobs import JobRunner
from civicdata.request_scope import JOBS_EXTENSION, init_request_scope
from civicdata.security_headers import init_security_headers
from civicdata.web import (
    account_email,
    auditor,
    auth,
    budgets,
    citizen,
    civic_keys,
    console,
    console_jobs,
    health,
    homes,
    language,
    metrics,
    my_activity,
    portal,
    privacy_loss,
    public_transparency,
)


def create_app(config: Config | None = None, platform: Platform | None = None) -> Flask:
    """Build the app; ``config`` defaults to the environment, parsed once."""
    config = config or (platform.config if platform else Config.from_env())
    configure_logging(config.log_level)
    platform = platform or Platform.build(config)
    refuse_demo_accounts_in_production(platform)
    app = Flask(__name__, instance_path=str(config.instance_path), static_folder=None)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=None,
        TESTING=config.env == "testing",
    )
    init_input_guard(app)  # first: bounds <int:…> before routes exist, checks before CSRF
    init_security_headers(app, config)
    init_edge(app)  # request id, a log line and metrics for every request
    init_request_scope(app, platform)  # one session per request, committed on success
    app.extensions[JOBS_EXTENSION] = JobRunner(platform)  # releases computed as jobs
    init_i18n(app, remembered=remembered_locale)  # the page's language (Flask-Babel)

    init_api(app)
    errors.register(app)  # after flask-smorest, which registers a plain-JSON handler
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(portal.bp)

    init_identity(app)  # CSRF, portal sessions
    init_oauth(app, platform)
    app.register_blueprint(oauth_routes.bp)  # /oauth/*, /.well-known/*
    app.register_blueprint(auth.bp)
    app.register_blueprint(account_email.bp)
    app.register_blueprint(language.bp)
    app.context_processor(homes.template_context)

    app.register_blueprint(auditor.bp)
    app.register_blueprint(my_activity.bp)
    app.register_blueprint(public_transparency.bp)  # /transparency, public

    app.register_blueprint(console.bp)
    app.register_blueprint(console_jobs.bp)
    app.register_blueprint(budgets.bp)
    app.register_blueprint(privacy_loss.bp)

    app.register_blueprint(citizen.bp)
    app.register_blueprint(citizen.public)
    app.register_blueprint(civic_keys.bp)
    platform.vault  # noqa: B018  (prepares the keys before serving, not inside a request)
    init_rate_limits(app, config.rate_limits)  # last: it wraps the registered views
    return app
