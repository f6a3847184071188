"""Browser security headers on every answer, through Flask-Talisman.

* A strict Content-Security-Policy: scripts, styles and everything else only
  from this origin, no inline script or style anywhere (templates use classes
  from ``portal.css``; the API docs load their start-up script as a file), no
  plugins, and ``frame-ancestors 'none'`` with ``X-Frame-Options: DENY`` so
  no other site can frame the consent screen or ``/my/erase`` (clickjacking).
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``:
  no other site ever gets a Referer (an authorization code or a page address
  must never leak through one), while the portal itself learns which of its
  pages a form was posted from, to return there after a sign-in that the
  form's expired session required.
* HSTS only when the public URL is https (a plain-http development instance
  must not pin browsers to https).
* ``Cache-Control: no-store`` on every answer that does not set its own
  caching: every portal page, every API and OAuth answer, every download, so
  personal data never rests in a shared or browser cache. Static assets keep
  the validators ``send_file`` gives them.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_talisman import Talisman

from civicdata.config import Config

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def _no_store(response: Response) -> Response:
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security_headers(app: Flask, config: Config) -> None:
    """Send the headers above on every response of ``app``."""
    https = config.public_url.startswith("https://")
    Talisman(
        app,
        force_https=False,  # TLS ends at the load balancer; the public URL tells
        strict_transport_security=https,
        strict_transport_security_max_age=31_536_000,
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy="same-origin",
        session_cookie_secure=config.secure_cookies,
        session_cookie_http_only=True,
        force_file_save=False,
    )
    app.after_request(_no_store)
