"""In Chromium: the consent screen cannot be framed by another origin, and the strict CSP
reports no violation on any page of the portal, the console or the auditor's views."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.platform.releases.city import TinyCity
from tests.support.live_server import serve_platform
from tests.support.oauth import (
    PASSWORD,
    authorize_url,
    new_app_client,
    new_citizen,
    new_staff,
    pkce_pair,
)

COLLECT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
CITIZEN = ["/", "/purposes", "/my/", "/my/data", "/my/history", "/my/apps", "/my/activity",
           "/my/privacy-loss", "/my/receipts", "/my/erase", "/account", "/api/v1/docs"]  # fmt: skip
ANALYST = ["/console/", "/account"]
AUDITOR = ["/auditor/events", "/auditor/budgets", "/auditor/policies", "/auditor/verification"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = page.evaluate("window.__violations || []")
    return found


@pytest.mark.browser
def test_the_consent_screen_refuses_to_render_in_a_frame_on_another_origin(
    config, browser_page
) -> None:
    page = browser_page
    with serve_platform(config) as server:
        registered = new_app_client(server.platform, ["openid", "consent:read"])
        new_citizen(server.platform, "framed@example.org")
        _sign_in(page, server.url, "framed@example.org")
        consent = server.url + authorize_url(registered, "openid consent:read", pkce_pair()[1])
        page.goto(consent)
        assert page.get_by_role("button", name="Allow").count() == 1  # it renders on its own

        # Same site (cookies go along), another origin: a page on another port frames it.
        attacker = f"http://{urlsplit(server.url).hostname}:{_free_port()}"
        framing = f'<h1 id="ready">Win a prize</h1><iframe id="f" src="{consent}"></iframe>'
        page.route(
            f"{attacker}/**", lambda route: route.fulfill(body=framing, content_type="text/html")
        )
        page.goto(f"{attacker}/prize")
        page.locator("#ready").wait_for()
        page.wait_for_timeout(1000)
        frame = page.frame_locator("#f")
        assert frame.get_by_role("button", name="Allow").count() == 0
        child = [f for f in page.frames if f is not page.main_frame]
        assert child and not child[0].url.startswith(server.url), child[0].url


@pytest.mark.browser
def test_no_page_of_portal_console_or_auditor_violates_the_csp(config, browser) -> None:  # type: ignore[no-untyped-def]
    with serve_platform(config) as server:
        TinyCity(server.platform).populated(2)
        new_citizen(server.platform, "citizen@example.org")
        new_staff(server.platform, "analyst", "analyst@example.org", department="transport")
        new_staff(server.platform, "auditor", "auditor@example.org")
        seen: dict[str, list[str]] = {}
        for email, paths in (
            ("citizen@example.org", CITIZEN),
            ("analyst@example.org", ANALYST),
            ("auditor@example.org", AUDITOR),
        ):
            context = browser.new_context()
            context.add_init_script(COLLECT)
            page = context.new_page()
            _sign_in(page, server.url, email)
            for path in paths:
                answer = page.goto(server.url + path)
                assert answer is not None and answer.status == 200, path
                page.wait_for_load_state("networkidle")
                seen[path] = _violations(page)
            # The listener works: an inline style added now is reported.
            page.evaluate(
                "() => { const s = document.createElement('style');"
                " s.textContent = 'body {}'; document.head.appendChild(s); }"
            )
            page.wait_for_timeout(200)
            assert _violations(page), "the securitypolicyviolation listener saw nothing"
            context.close()
        assert seen and not any(seen.values()), {p: v for p, v in seen.items() if v}
