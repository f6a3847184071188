"""Every page of the portal, in one list, for the tests that walk them all.

A page is named (the screenshot's file name), belongs to the role that can
see it (``public``, ``citizen``, ``analyst``, ``auditor``) and has a path that
may name an object the walking test creates first: ``{release}`` (a release
of the analyst's department), ``{event}`` (an audit entry) or ``{authorize}``
(an OAuth authorization request of an app to the citizen). Add a page here
and the accessibility walk (tests/browser/test_accessibility.py) checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("public", "citizen", "analyst", "auditor")


@dataclass(frozen=True)
class PortalPage:
    name: str
    role: str
    path: str


PAGES = (
    PortalPage("landing", "public", "/"),
    PortalPage("sign-in", "public", "/login"),
    PortalPage("register", "public", "/register"),
    PortalPage("password-reset", "public", "/reset"),
    PortalPage("purposes", "public", "/purposes"),
    PortalPage("transparency", "public", "/transparency"),
    PortalPage("citizen-consents", "citizen", "/my/"),
    PortalPage("citizen-history", "citizen", "/my/history"),
    PortalPage("citizen-apps", "citizen", "/my/apps"),
    PortalPage("citizen-data", "citizen", "/my/data"),
    PortalPage("citizen-erase", "citizen", "/my/erase"),
    PortalPage("citizen-activity", "citizen", "/my/activity"),
    PortalPage("citizen-privacy-loss", "citizen", "/my/privacy-loss"),
    PortalPage("citizen-account", "citizen", "/account"),
    PortalPage("oauth-consent", "citizen", "{authorize}"),
    PortalPage("console", "analyst", "/console/"),
    PortalPage("console-query", "analyst", "/console/?dataset=trips"),
    PortalPage("console-release", "analyst", "{release}"),
    PortalPage("auditor-events", "auditor", "/auditor/events"),
    PortalPage("auditor-event", "auditor", "{event}"),
    PortalPage("auditor-lookup", "auditor", "/auditor/lookup"),
    PortalPage("auditor-verification", "auditor", "/auditor/verification"),
    PortalPage("auditor-consistency", "auditor", "/auditor/consistency"),
    PortalPage("auditor-policies", "auditor", "/auditor/policies"),
    PortalPage("auditor-budgets", "auditor", "/auditor/budgets"),
)


def pages_for(role: str) -> list[PortalPage]:
    """The pages of one role, in the order above."""
    return [page for page in PAGES if page.role == role]
