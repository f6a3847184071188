"""Accessibility checks for browser tests: axe-core, overflow at phone width, screenshots.

::

    from tests.support.accessibility import axe_page, check_page  # axe_page: a fixture

    report = check_page(axe_page, "citizen-dashboard", width=390)
    assert report.ok, report.explain()

The ``axe_page`` fixture is a fresh page whose context lets Playwright add the
axe script despite the portal's Content Security Policy (which
tests/browser/test_security_headers.py checks on its own pages).
axe-core comes from the npm registry (``make test`` installs it from
``package-lock.json`` into ``node_modules/``) and is injected into the page
with Playwright. A page fails on any violation whose impact is serious or
critical, and, at any width, when ``document.documentElement.scrollWidth`` is
larger than the window (something sticks out sideways). Every check writes a
full-page screenshot to ``test-artifacts/screenshots/`` (git-ignored, left
behind by ``make test`` for reviewers). Without axe-core the check is skipped
with the reason, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
BLOCKING = ("serious", "critical")
HEIGHT = 900


@dataclass
class PageReport:
    """What the checks found on one page at one width."""

    name: str
    width: int
    url: str
    violations: list[dict[str, Any]] = field(default_factory=list)
    scroll_width: int = 0
    inner_width: int = 0
    screenshot: Path | None = None
    widest: str = ""

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.inner_width

    @property
    def ok(self) -> bool:
        return not self.violations and not self.overflows

    def explain(self) -> str:
        """Each blocking violation with its nodes, and the overflow if any, for the failure."""
        lines = [f"{self.name} at {self.width} px ({self.url}):"]
        for violation in self.violations:
            lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"      {' '.join(node['target'])}: {node['html'][:160]}")
        if self.overflows:
            lines.append(
                f"  the page is {self.scroll_width} px wide in a {self.inner_width} px window"
                f" (widest: {self.widest})"
            )
        lines.append(f"  screenshot: {self.screenshot}")
        return "\n".join(lines)


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A fresh page (own context) into which the axe script can be injected."""
    from tests.support.browser import TIMEOUT_MS

    require_axe()
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def require_axe() -> Path:
    """The axe-core script, or skip (fail under CI) when ``make test`` has not installed it."""
    if AXE.exists():
        return AXE
    reason = f"accessibility tests need {AXE.relative_to(ROOT)} (run `make test` or `npm ci`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def check_page(page: Any, name: str, width: int) -> PageReport:
    """Run axe, measure the overflow and take a screenshot of ``page`` at ``width`` px."""
    axe = require_axe()
    page.set_viewport_size({"width": width, "height": HEIGHT})
    report = PageReport(name=name, width=width, url=page.url)
    report.scroll_width, report.inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    if report.overflows:
        report.widest = page.evaluate(_WIDEST)
    page.add_script_tag(path=str(axe))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    report.violations = [v for v in result["violations"] if v["impact"] in BLOCKING]
    report.screenshot = screenshot(page, f"{name}-{width}")
    return report


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


# The element that sticks out furthest to the right, to name in a failure.
_WIDEST = """() => {
  let worst = null, right = window.innerWidth;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect().right;
    if (r > right) { right = r; worst = el; }
  }
  if (!worst) return '';
  const id = worst.id ? '#' + worst.id : '';
  const cls = worst.className && typeof worst.className === 'string'
    ? '.' + worst.className.trim().split(/\\s+/).join('.') : '';
  return `${worst.tagName.toLowerCase()}${id}${cls} reaches ${Math.round(right)} px`;
}"""
