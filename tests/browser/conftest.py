"""Browser fixtures for the tests in this folder."""

from tests.support.browser import browser, browser_page  # noqa: F401
