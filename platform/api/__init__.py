"""The REST API under ``/api/v1``, described by OpenAPI 3 (flask-smorest).

Each capability contributes a flask-smorest ``Blueprint``; :func:`init_api`
registers them all. The OpenAPI document is served at ``/api/v1/openapi.json``
and the interactive docs at ``/api/v1/docs``, with Swagger UI's assets
served locally from the swagger-ui-bundle package.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from civicdata.api.contract import serve_contract

API_PREFIX = "/api/v1"


def init_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Civic Data Platform API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Swagger UI's assets come from the swagger-ui-bundle package, never a CDN.
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Departments receive differentially private aggregates only; "
                    "citizens manage consent; sources push records; auditors read the signed log."
                )
            }
        },
    )
    app.register_blueprint(
        Blueprint(
            "api_docs_assets",
            __name__,
            static_folder=swagger_ui_path,
            static_url_path=f"{API_PREFIX}/docs/assets",
        )
    )
    api = Api(app)
    for blueprint in _blueprints():
        api.register_blueprint(blueprint, url_prefix=f"{API_PREFIX}{blueprint.url_prefix or ''}")
    serve_contract(app, api.spec.to_dict)
    app.extensions["civic_api"] = api
    return api


def _blueprints() -> list[Any]:
    """The API blueprints of every capability, in the order they appear in the docs."""
    from civicdata.api import (
        audit,
        budgets,
        catalog,
        consents,
        ingestion,
        policies,
        releases,
        transparency,
        whoami,
    )

    return [
        catalog.blp,
        whoami.blp,
        audit.blp,
        releases.blp,
        budgets.blp,
        policies.blp,
        ingestion.blp,
        consents.blp,
        transparency.blp,
    ]
