"""Draws the web app's PNG icons (web/static/icons/*.png, committed) from
their SVG sources with Debian's Chromium, as the browser tests launch it:
    .venv/bin/python -m tests.web.icons"""

import asyncio
import base64
from pathlib import Path

from playwright.async_api import async_playwright

from tests.e2e.conftest import CHROMIUM

ICONS = Path(__file__).resolve().parents[2] / "web" / "static" / "icons"
JOBS = [
    ("icon.svg", 192, "icon-192.png"),
    ("icon.svg", 512, "icon-512.png"),
    ("icon-maskable.svg", 512, "icon-maskable-512.png"),
    ("icon.svg", 180, "apple-touch-icon.png"),
]


async def main():
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for svg, size, png in JOBS:
            page = await b.new_page(viewport={"width": size, "height": size})
            data = base64.b64encode((ICONS / svg).read_bytes()).decode()
            await page.set_content(
                f'<html><body style="margin:0;background:transparent">'
                f'<img src="data:image/svg+xml;base64,{data}" width="{size}" height="{size}" style="display:block"></body></html>'
            )
            await page.wait_for_timeout(100)
            await page.screenshot(path=str(ICONS / png), omit_background=True)
            await page.close()
        await b.close()


if __name__ == "__main__":
    asyncio.run(main())
