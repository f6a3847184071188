"""A real HTTP server on a free loopback port, in a thread, for end-to-end tests.

::

    from tests.support.live_server import serve_platform

    with serve_platform(config) as server:       # config: the test Config
        requests.get(f"{server.url}/healthz")
        server.platform                          # its Platform (database, keys)

The port is chosen by the OS (bound before the app is built), and the app is
built with ``public_url`` set to the server's own URL, so OAuth issuer and
discovery documents match what clients see. :func:`serve_app` serves any WSGI
app as it is. The server runs Werkzeug's threaded server in a daemon thread and
is shut down when the ``with`` block ends.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server

from civicdata.config import Config
from civicdata.context import Platform

HOST = "127.0.0.1"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class LiveServer:
    url: str
    app: Any
    platform: Platform | None = None


class _Late:
    """A WSGI app set after the socket is bound (so it can know its own URL)."""

    app: WSGIApp | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


@contextmanager
def _serve(build: Callable[[str], LiveServer]) -> Iterator[LiveServer]:
    late = _Late()
    server = make_server(HOST, 0, late, threaded=True)
    live = build(f"http://{HOST}:{server.server_port}")
    late.app = live.app
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def serve_app(app: WSGIApp) -> Iterator[LiveServer]:
    """Serve ``app`` as it is."""
    with _serve(lambda url: LiveServer(url=url, app=app)) as live:
        yield live


@contextmanager
def serve_platform(config: Config) -> Iterator[LiveServer]:
    """Build the platform and app for ``config`` with ``public_url`` = the server's URL."""
    from civicdata.app import create_app

    platforms: list[Platform] = []

    def build(url: str) -> LiveServer:
        platform = Platform.build(dataclasses.replace(config, public_url=url))
        platforms.append(platform)
        return LiveServer(url=url, app=create_app(platform=platform), platform=platform)

    try:
        with _serve(build) as live:
            yield live
    finally:
        for platform in platforms:
            platform.engine.dispose()
