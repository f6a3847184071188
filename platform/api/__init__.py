"""The REST API under ``/api/v1``, described by OpenAPI 3 (flask-smorest).

Each capability contributes a flask-smorest ``Blueprint``; :func:`init_api`
registers them all. The OpenAPI document is served at ``/api/v1/openapi.json``
and the interactive docs at ``/api/v1/docs``.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

API_PREFIX = "/api/v1"


def init_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Civic Data Platform API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="redoc",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Departments receive differentially private aggregates only; "
                    "citizens manage consent; sources push records; auditors read the signed log."
                )
            }
        },
    )
    api = Api(app)
    for blueprint in _blueprints():
        api.register_blueprint(blueprint, url_prefix=f"{API_PREFIX}{blueprint.url_prefix or ''}")
    app.extensions["civic_api"] = api
    return api


def _blueprints() -> list:  # type: ignore[type-arg]
    """The API blueprints of every capability, in the order they appear in the docs."""
    from civicdata.api import catalog, whoami

    return [catalog.blp, whoami.blp]
