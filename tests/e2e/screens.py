"""Helpers of the browser tests of the record pages and "Meu dia": log in
at a page of the app, check that nothing overflows sideways, and save a
screenshot where a person can look at it ($REVGRAPH_SCREENSHOTS, else
tests/artifacts/, which git ignores)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.support import PASSWORD

ARTIFACTS = Path(os.environ.get("REVGRAPH_SCREENSHOTS") or Path(__file__).parents[1] / "artifacts")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


async def logged_in_at(
    open_page: Any, server: Any, email: str, where: str, viewport: dict[str, int] = DESKTOP
) -> Any:
    """A tab logged in as `email` on the app's `where` ("#/dia")."""
    page = await open_page()
    await page.set_viewport_size(viewport)
    await page.goto(f"{server.url}/{where}")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.locator(".topbar")).to_be_visible()
    return page


async def screenshot(page: Any, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    # Playwright creates the missing directories of the path itself.
    await page.screenshot(path=str(path), full_page=True)
    return path


# Elements whose right edge passes the viewport (hidden ones and those
# inside a scrolling box are not seen, so they do not count).
OVERFLOWING = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== "visible" || style.position === "fixed") { clipped = true; break; }
    }
    if (!clipped && (box.right > width + 0.5 || box.left < -0.5)) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10) };
}
"""


async def assert_fits_sideways(page: Any) -> None:
    """Nothing on the page is wider than the viewport: no sideways scroll."""
    found = await page.evaluate(OVERFLOWING)
    assert found["scrollWidth"] <= found["width"] and found["out"] == [], found
