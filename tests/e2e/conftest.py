"""Headless Chromium for the web board tests: Debian's `chromium` binary
driven by Playwright (no browser downloads). Without Chromium the tests are
skipped locally; with CI=true they must run, so a missing browser fails."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("REVGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
# What Chromium needs on these machines: no sandbox (root, no user
# namespaces), no GPU, and nothing that reaches for the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One Chromium for the run, with a fresh profile directory."""
    if not HAVE_CHROMIUM:
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    profile = tempfile.mkdtemp(prefix="revgraph-chromium-")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            locale="pt-BR",
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            await context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
async def open_page(browser: Any, server: Any) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
    """Opens a fresh tab on the board; at the end, fails the test if any
    tab raised an uncaught JavaScript error."""
    pages: list[Any] = []
    errors: list[str] = []

    async def opening() -> Any:
        page = await browser.new_page()
        page.set_default_timeout(8000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        await page.goto(server.url + "/")
        return page

    yield opening
    for page in pages:
        await page.close()
    assert errors == [], errors
