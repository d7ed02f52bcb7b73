"""The web app's tests: HTTP-level checks of its session, and Chromium
(tests/e2e/conftest.py's browser) for its screens."""

from tests.e2e.conftest import browser, open_page
from tests.security.conftest import private_server

__all__ = ["browser", "open_page", "private_server"]
