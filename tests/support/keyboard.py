"""Driving a page with the keyboard alone: Tab to a control by its name, then Enter or Space.

::

    from tests.support.keyboard import tab_to

    tab_to(page, "Give consent: Planning bus, metro and tram services")
    page.keyboard.press("Space")

Only key presses reach the page (no clicks, no ``focus()`` from the test), so
a control that cannot be reached or seen with Tab fails the test.
"""

from __future__ import annotations

from typing import Any

MAX_TABS = 120

# What a screen reader would announce for the focused element, roughly: its
# aria-label, its label's text, else its own text.
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {name: '', visible: false};
  const label = el.getAttribute('aria-label')
    || (el.labels && el.labels.length ? el.labels[0].innerText : '')
    || el.innerText || el.value || '';
  const box = el.getBoundingClientRect();
  return {name: label.trim().replace(/\\s+/g, ' '), visible: box.width > 0 && box.height > 0};
}"""


def focused_name(page: Any) -> str:
    """The accessible name (roughly) of the element that has the keyboard focus."""
    return str(page.evaluate(_FOCUSED)["name"])


def tab_to(page: Any, name: str, *, exact: bool = True) -> None:
    """Press Tab until the focused element is called ``name`` (or starts with it)."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        seen.append(focused["name"])
        matches = focused["name"] == name if exact else focused["name"].startswith(name)
        if matches:
            assert focused["visible"], f"{name!r} has the focus but cannot be seen"
            return
    raise AssertionError(f"Tab never reached {name!r}; it went through {seen[:40]}")


def activate(page: Any, key: str = "Enter") -> None:
    """Press ``key`` on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)
