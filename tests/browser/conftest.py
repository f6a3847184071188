"""Browser fixtures for the tests in this folder."""

from tests.support.accessibility import axe_page  # noqa: F401
from tests.support.browser import browser, browser_page  # noqa: F401
