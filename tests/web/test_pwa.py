"""The installable app (PWA): a pt-BR manifest with PNG icons, served with
the right content types, and a service worker that registers in Chromium,
starts the app shell offline and never keeps /graphql."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from tests.web.support import log_in, screenshot

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


async def test_the_manifest_and_its_icons_are_served_with_their_types(server):
    async with httpx.AsyncClient(base_url=server.url) as client:
        page = await client.get("/")
        manifest = await client.get("/manifest.webmanifest")
        assert manifest.status_code == 200
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        body = manifest.json()
        assert body["lang"] == "pt-BR" and body["short_name"] == "RevGraph"
        assert body["start_url"] == "/" and body["display"] == "standalone"
        assert {icon["purpose"] for icon in body["icons"]} == {"any", "maskable"}
        for icon in body["icons"]:
            served = await client.get(icon["src"])
            assert served.status_code == 200 and served.headers["content-type"] == "image/png"
            assert icon["type"] == "image/png"
            assert "x".join(map(str, png_size(served.content))) == icon["sizes"]
        worker = await client.get("/sw.js")
        assert worker.status_code == 200
        assert worker.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert '<link rel="manifest" href="/manifest.webmanifest" />' in page.text


def test_the_service_worker_keeps_every_module_and_stylesheet_and_no_api_path():
    worker = (STATIC / "sw.js").read_text(encoding="utf-8")
    listed = set(re.findall(r'^\s+"(/[^"]*)",$', worker, re.M))
    # every module, and every stylesheet the app's page links (csat.css belongs to the survey page)
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    stylesheets = set(re.findall(r'<link rel="stylesheet" href="(/[^"]+\.css)"', page))
    assert "/board.css" in stylesheets, page
    on_disk = {f"/js/{p.name}" for p in (STATIC / "js").glob("*.js")} | stylesheets
    assert on_disk <= listed, on_disk - listed
    assert all((STATIC / path.lstrip("/")).exists() for path in listed if path != "/"), listed
    assert not any(path.startswith(("/graphql", "/session", "/export", "/import")) for path in listed)


async def test_the_service_worker_registers_starts_offline_and_never_caches_graphql(
    server: Any, workspace: Any, open_page: Any
) -> None:
    # given the app opened and logged in while online
    page = await open_page()
    scope = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == server.url + "/"
    await log_in(page, workspace.email)
    await page.reload()  # now under the worker's control
    await expect(page.get_by_role("button", name="Sair", exact=True)).to_be_visible()
    assert await page.evaluate("Boolean(navigator.serviceWorker.controller)")

    # when the network goes away and the app is opened again
    await page.context.set_offline(True)
    await page.reload()

    # then the shell starts from the cache and says it is offline, in Portuguese
    await expect(page.get_by_role("alert")).to_contain_text("Sem conexão com o servidor")
    await screenshot(page, "offline-start")
    kept = await page.evaluate(
        """async () => {
          const urls = [];
          for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
          }
          return urls;
        }"""
    )
    assert "/js/main.js" in kept and "/" in kept
    assert not [url for url in kept if url.startswith(("/graphql", "/session"))], kept
    await page.context.set_offline(False)
