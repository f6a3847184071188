from __future__ import annotations


def test_healthz_and_readyz(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] == "ok"


def test_readyz_reports_unreachable_database(app, platform_) -> None:
    from sqlalchemy.orm import sessionmaker

    from civicdata.db import make_engine

    platform_.sessions = sessionmaker(bind=make_engine("sqlite:////nonexistent/dir/x.db"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "database unreachable" in response.json["detail"]


def test_landing_page_lists_datasets(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert b"Public transport trips" in page.data


def test_api_404_is_problem_json_and_portal_404_is_html(client) -> None:
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert api.json["status"] == 404 and api.json["title"] == "Not Found"
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_unexpected_error_is_generic_500_without_details(app) -> None:
    @app.get("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail 42")

    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert b"secret internal detail" not in response.data
    assert response.json["title"] == "Internal Server Error"


def test_openapi_document_describes_the_catalog(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/datasets" in spec["paths"]
    datasets = client.get("/api/v1/datasets").json
    trips = next(d for d in datasets if d["id"] == "trips")
    mode = next(f for f in trips["fields"] if f["name"] == "mode")
    assert mode["domain"][0] == "bus" and mode["groupable"] is True


def test_interactive_docs_load_their_assets_locally(client) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cdn" not in html.lower() and "https://" not in html
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_portal_stylesheet_is_served(client) -> None:
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    css = client.get(href)
    assert css.status_code == 200 and b"--accent" in css.data


def test_validation_errors_name_the_field_in_the_detail(app) -> None:
    from flask_smorest import Blueprint
    from marshmallow import Schema, fields

    class Body(Schema):
        epsilon = fields.Float(required=True)

    blp = Blueprint("probe", __name__)

    @blp.route("/api/v1/probe", methods=["POST"])
    @blp.arguments(Body)
    def probe(body):
        return body

    app.extensions["civic_api"].register_blueprint(blp)
    response = app.test_client().post("/api/v1/probe", json={"epsilon": "lots"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "json.epsilon" in response.json["detail"]
    assert response.json["errors"]["json"]["epsilon"]
