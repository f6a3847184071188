"""The public transparency page, one page per public release, and their Atom feed.

No sign-in: anyone sees every release whose policy is public (values with 95 %
intervals, epsilon, the signed statement and its key id), epsilon spent per
dataset against the city-wide caps, the policies in force and the latest
witnessed checkpoint. Everything comes from
:mod:`civicdata.releases.transparency`; the pages show no account menu, so
they are the same for every visitor and may be cached publicly for a minute.
The same content is JSON at ``/api/v1/transparency``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicdata.db import utcnow
from civicdata.releases.transparency import (
    KEYS_PATH,
    PAGE,
    public_release,
    public_releases,
    transparency_report,
)
from civicdata.request_scope import current_platform, db_session
from civicdata.web.transparency_feed import FEED_SIZE, atom_feed

bp = Blueprint("public_transparency", __name__)
MAX_AGE_SECONDS = 60
MAX_BEFORE = 2**31 - 1


def _public(response: Response) -> Response:
    """Cacheable by anyone for a minute: the same for every visitor who reads its language."""
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    response.vary.update(("Accept-Language", "Cookie"))  # the page's language comes from these
    return response


def _before() -> int | None:
    raw = request.args.get("before", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_BEFORE:
        abort(400, description="before: give the number of a published release (1 or more).")
    return int(raw)


@bp.get("/transparency")
def page() -> ResponseReturnValue:
    """Public releases (newest first), budgets, policies in force, the witnessed checkpoint."""
    report = transparency_report(db_session(), current_platform(), utcnow(), _before(), PAGE)
    html = render_template("transparency/page.html", report=report, keys_path=KEYS_PATH)
    return _public(Response(html, mimetype="text/html"))


@bp.get("/transparency/releases/<release_id>")
def release(release_id: str) -> ResponseReturnValue:
    """One public release: every value with its interval, and the signed statement."""
    shown = public_release(db_session(), current_platform(), release_id)
    if shown is None:
        abort(404, description="No public release has this id.")
    html = render_template("transparency/release.html", release=shown, keys_path=KEYS_PATH)
    return _public(Response(html, mimetype="text/html"))


@bp.get("/transparency/feed.atom")
def feed() -> ResponseReturnValue:
    """An Atom feed (RFC 4287) of the newest public releases."""
    platform = current_platform()
    page_of = public_releases(db_session(), platform, None, FEED_SIZE)
    document = atom_feed(
        platform.catalog.city_name,
        page_of.releases,
        page_url=url_for(".page", _external=True),
        self_url=url_for(".feed", _external=True),
        release_url=lambda release_id: url_for(".release", release_id=release_id, _external=True),
    )
    return _public(Response(document, mimetype="application/atom+xml"))
