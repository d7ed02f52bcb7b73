"""Headless Chromium for the web board tests: Debian's `chromium` binary
driven by Playwright (no browser downloads). Without Chromium the tests are
skipped locally; with CI=true they must run, so a missing browser fails."""

from __future__ import annotations

import os
import shutil
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


class Tabs:
    """Chromium with the app's defaults: pt-BR, a 1400x900 window. Each
    `new_page()` is a browser of its own (its own cookies, so its own
    session); `page.context.new_page()` opens a second tab of the same one."""

    def __init__(self, chromium: Any) -> None:
        self.chromium = chromium

    async def new_page(self, **options: Any) -> Any:
        options.setdefault("locale", "pt-BR")
        options.setdefault("viewport", {"width": 1400, "height": 900})
        context = await self.chromium.new_context(**options)
        return await context.new_page()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Tabs]:
    """One Chromium for the run."""
    if not HAVE_CHROMIUM:
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield Tabs(chromium)
        finally:
            await chromium.close()


@pytest.fixture
async def open_page(browser: Any, server: Any) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
    """Opens a fresh browser (cookies of its own, so logged out) on the app;
    `open_page.watch(tab)` adopts another tab. At the end, fails the test if
    any tab raised an uncaught JavaScript error."""
    pages: list[Any] = []
    errors: list[str] = []

    async def opening(**options: Any) -> Any:
        page = await browser.new_page(**options)
        watch(page)
        await page.goto(server.url + "/")
        return page

    def watch(page: Any) -> Any:
        page.set_default_timeout(8000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        return page

    opening.watch = watch  # type: ignore[attr-defined]

    yield opening
    for page in pages:
        await page.close()
        if not page.context.pages:
            await page.context.close()
    assert errors == [], errors
