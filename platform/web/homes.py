"""Where each role starts: the page a sign-in lands on when nothing else was asked for."""

from __future__ import annotations

from typing import Any

from flask import url_for

from civicdata.i18n import lazy_gettext
from civicdata.identity.models import Account

HOMES = {
    "citizen": "citizen.dashboard",
    "analyst": "console.index",
    "auditor": "auditor.events",
    "operator": "auth.account",
}


def home_for(account: Account | None) -> str:
    """The home page of ``account``'s role; the public start page when signed out."""
    if account is None:
        return url_for("portal.landing")
    return url_for(HOMES.get(account.role, "portal.landing"))


ROLE_NAMES = {
    "citizen": lazy_gettext("resident"),
    "analyst": lazy_gettext("department analyst"),
    "auditor": lazy_gettext("auditor"),
    "operator": lazy_gettext("operator"),
}


def role_name(role: str) -> str:
    """A role in the reader's words (``citizen`` is "resident")."""
    return str(ROLE_NAMES.get(role, role))


def template_context() -> dict[str, Any]:
    """``role_name`` and ``home_for`` for templates (the header, the account page)."""
    return {"role_name": role_name, "home_for": home_for}
