"""The web portal: server-rendered pages for citizens, analysts and auditors."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from civicdata.request_scope import current_platform

# The app itself has no static folder, so the portal serves /static/ unshadowed.
bp = Blueprint(
    "portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/")
def landing() -> ResponseReturnValue:
    """What the platform is, and where each kind of user goes next."""
    platform = current_platform()
    return render_template(
        "landing.html", city=platform.catalog.city_name, datasets=platform.catalog.datasets.values()
    )
