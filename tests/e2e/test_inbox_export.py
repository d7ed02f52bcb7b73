"""The inbox's "Exportar CSV" in headless Chromium: the conversations of the
filter on screen come down as the server's CSV, for Excel in Portuguese."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.e2e.test_inbox import inbox_page
from tests.inbox.support import create_inbox, receive


async def test_the_inbox_exports_the_conversations_of_its_filter(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given two open conversations
    inbox = await create_inbox(gql, workspace.token, name="Site")
    await receive(gql, workspace.token, inbox["id"], name="Clara Aberta", phone="+5511900000021")
    await receive(gql, workspace.token, inbox["id"], name="Davi Souza", phone="+5511900000022")
    page = await inbox_page(open_page, server, {"email": workspace.email})
    await page.get_by_label("Situação").select_option("OPEN")
    await expect(page.locator(".conversation-item")).to_have_count(2)

    # when the list is searched for one of them and exported
    await page.get_by_label("Buscar").fill("clara")
    await expect(page.locator(".conversation-item")).to_have_count(1)
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Exportar CSV").click()
    download = await downloading.value

    # then the file is the server's export of that filter, ";" and a BOM
    assert download.suggested_filename.startswith("conversations-")
    text = (await asyncio.to_thread(Path(await download.path()).read_bytes)).decode("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("\ufeffNúmero;Contato;Caixa de entrada;Situação")
    assert len(lines) == 2
    assert ";Clara Aberta;Site;Aberta;" in lines[1]
