"""Every request's edge: its request id in and out, one log line, its metrics.

The id comes from the caller's ``X-Request-ID`` header when well-formed and is
made up otherwise; it is bound to the logging context for the whole request
(so service and job logs carry it) and returned in the response's header.
The log line and the metrics name the route's rule (``/api/v1/releases/<id>``),
never the path or the query string, which may carry ids or codes.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from civicdata import metrics
from civicdata.logs import REQUEST_ID_HEADER, bind_request_id, get_logger, request_id_from

log = get_logger(__name__)
UNMATCHED = "<unmatched>"


def _start() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    bind_request_id(g.request_id)


def _finish(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
    metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    metrics.LATENCY.labels(request.method, route).observe(elapsed)
    log.info(
        "request",
        method=request.method,
        route=route,
        status=response.status_code,
        duration_ms=round(elapsed * 1000, 2),
    )
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or request_id_from(None)
    return response


def init_edge(app: Flask) -> None:
    """Register the hooks; the first ``before_request`` so every other one is covered."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
