"""``/metrics``: Prometheus metrics for the city's monitoring, not for the public.

Scrapers authenticate with ``Authorization: Bearer $CIVIC_METRICS_TOKEN``.
Without a configured token the endpoint does not exist (deny by default).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

from civicdata import metrics
from civicdata.request_scope import current_platform

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    """Every metric of every worker, and the database gauges."""
    platform = current_platform()
    expected = platform.config.metrics_token
    if expected is None:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        response = Response("a bearer token is required\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition(platform.sessions)
    return Response(body, mimetype=None, content_type=content_type)
