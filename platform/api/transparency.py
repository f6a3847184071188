"""``/api/v1/transparency``: the public transparency report as JSON, no token needed.

The same content as the page at ``/transparency``: every public release (each
exactly as signed, with its signature and key id), epsilon spent per dataset
against the city-wide caps, the policies in force and the latest witnessed
checkpoint. See :mod:`civicdata.releases.transparency` for why nothing more
leaks. Answers may be cached publicly for a minute.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, json
from flask_smorest import Blueprint
from marshmallow import RAISE

from civicdata.api.audit_schemas import ProblemOut
from civicdata.api.transparency_schemas import PublicReleaseOut, TransparencyOut, TransparencyQuery
from civicdata.db import utcnow
from civicdata.releases.transparency import public_release, transparency_report
from civicdata.request_scope import current_platform, db_session

blp = Blueprint(
    "transparency",
    __name__,
    url_prefix="/transparency",
    description="The public transparency report: public releases, budgets, policies, checkpoint",
)
QUERY: dict[str, Any] = {"location": "query", "error_status_code": 400, "unknown": RAISE}
MAX_AGE_SECONDS = 60


def public_json(body: Any) -> Response:
    """A JSON answer that any cache may keep for a minute (it is the same for everyone)."""
    response = Response(json.dumps(body), mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    return response


@blp.route("")
@blp.arguments(TransparencyQuery, **QUERY)
@blp.alt_response(200, schema=TransparencyOut, description="the report, newest releases first")
@blp.alt_response(400, schema=ProblemOut, content_type="application/problem+json")
def get_transparency(args: dict[str, Any]) -> Response:
    """Public releases (newest first; page with ``before``), budgets, policies, checkpoint."""
    report = transparency_report(
        db_session(), current_platform(), utcnow(), args.get("before"), args["limit"]
    )
    return public_json(report.as_dict())


@blp.route("/releases/<release_id>")
@blp.alt_response(200, schema=PublicReleaseOut, description="one public release, as signed")
@blp.alt_response(404, schema=ProblemOut, content_type="application/problem+json")
def get_public_release(release_id: str) -> Response:
    """One public release with its signed statement; 404 for any other id."""
    shown = public_release(db_session(), current_platform(), release_id)
    if shown is None:
        abort(404, description="No public release has this id.")
    return public_json(shown.as_dict())
