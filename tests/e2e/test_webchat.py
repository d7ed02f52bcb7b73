"""The webchat end to end in headless Chromium, with two pages: a
customer's site embedding the widget with its one script tag, and the
agent's web inbox. The visitor writes, the agent sees the webchat
conversation arrive live and replies, the visitor sees the reply live;
coming back later, the visitor finds the conversation where it was."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

from playwright.async_api import expect

from tests.conftest import free_port
from tests.e2e.test_inbox import given_an_agent_with_an_inbox, inbox_page
from tests.webchat.support import WEBCHAT_INBOX


@contextlib.asynccontextmanager
async def customer_site_server(server: Any, public_key: str) -> AsyncIterator[str]:
    """The customer's own site: another origin (another port) on loopback,
    like the server — Chromium refuses loopback resources to pages of
    public addresses (Private Network Access) — serving a page with the snippet."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def home(request: Any) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Imobiliária</title></head>'
            "<body><h1>Apartamentos para alugar</h1>"
            f'<script src="{server.url}/widget.js" data-inbox="{public_key}" async></script>'
            "</body></html>"
        )

    port = free_port()
    uv = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/", home)]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            loop="none",
        )
    )
    task = asyncio.get_running_loop().create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
            raise RuntimeError("the site's server exited during start-up")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        await asyncio.wait_for(task, timeout=15)


async def open_site(browser: Any, url: str) -> Any:
    page = await browser.new_page()
    page.set_default_timeout(8000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    await page.goto(url + "/")
    return page


async def test_a_visitor_and_an_agent_talk_live_through_the_widget_and_the_web_inbox(
    gql, workspace, server, browser, open_page
):
    # given an agent on a webchat inbox, and the customer's site with its snippet
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace, channel="WEBCHAT", name="Site")
    rows = (await gql.ok(WEBCHAT_INBOX, token=workspace.token))["inboxes"]
    public_key = next(r for r in rows if r["id"] == inbox["id"])["webchat"]["publicKey"]
    async with customer_site_server(server, public_key) as site_url:
        await talk(gql, workspace, server, browser, open_page, agent, inbox, public_key, site_url)


async def talk(
    gql: Any,
    workspace: Any,
    server: Any,
    browser: Any,
    open_page: Any,
    agent: dict[str, Any],
    inbox: dict[str, Any],
    public_key: str,
    site_url: str,
) -> None:
    # (the inbox allows the site, and greets in its own words)
    update = """
    mutation($id: ID!, $input: InboxUpdateInput!) { updateInbox(id: $id, input: $input) { userErrors { code } } }
    """
    settings = {"allowedOrigins": [site_url], "greeting": "Olá! Em que podemos ajudar?", "color": "#0A7D4F"}
    await gql.ok(update, {"id": inbox["id"], "input": {"settings": settings}}, token=workspace.token)
    # and the agent's web inbox, live
    agent_page = await inbox_page(open_page, server, agent)
    await expect(agent_page.locator(".conversation-items .empty")).to_have_text("Nenhuma conversa aqui.")

    # when a visitor of the site opens the chat, gives their name and writes
    site = await open_site(browser, site_url)
    try:
        await site.get_by_role("button", name="Abrir chat").click()
        chat = site.get_by_role("dialog", name="Fale conosco")
        await expect(chat).to_contain_text("Olá! Em que podemos ajudar?")
        await chat.get_by_label("Seu nome").fill("Joana Lima")
        await chat.get_by_role("button", name="Salvar").click()
        await chat.get_by_role("textbox", name="Mensagem").fill(
            "Oi! O apartamento da Rua Augusta ainda está disponível?"
        )
        await chat.get_by_role("button", name="Enviar").click()
        await expect(chat.locator("li.visitor")).to_contain_text("Rua Augusta")
        await expect(chat.locator("li.visitor small")).to_contain_text(re.compile(r"Você · \d\d:\d\d"))

        # then the agent sees the webchat conversation arrive live, with its channel
        listed = agent_page.locator(".conversation-item").first
        await expect(listed.locator(".contact-name")).to_have_text("Joana Lima")
        await expect(listed.locator(".channel")).to_have_text("Chat do site")
        # when she opens it and replies
        await listed.get_by_role("link").click()
        thread = agent_page.locator(".thread-pane")
        await expect(thread.locator(".message.inbound")).to_contain_text("Rua Augusta")
        box = thread.get_by_role("textbox", name="Resposta")
        await box.fill("Está sim, Joana! Quer agendar uma visita? Fotos: https://imoveis.example/augusta.")
        await thread.get_by_role("button", name="Enviar", exact=True).click()
        await expect(thread.locator(".message.outbound")).to_have_count(1)

        # then the visitor sees the reply live, from the agent
        reply = chat.locator("li.agent")
        await expect(reply).to_contain_text("Está sim, Joana! Quer agendar uma visita?")
        await expect(reply.locator("small")).to_contain_text("Ana")
        # (its address is a link that opens apart, without the trailing full stop)
        link = reply.get_by_role("link", name="https://imoveis.example/augusta")
        await expect(link).to_have_attribute("href", "https://imoveis.example/augusta")
        await expect(link).to_have_attribute("rel", "noopener noreferrer")

        # when the visitor closes the panel and the agent writes again
        await site.get_by_role("button", name="Fechar chat").first.click()
        await box.fill("Temos horários no sábado.")
        await thread.get_by_role("button", name="Enviar", exact=True).click()
        # then the reply waits on the bubble
        bubble = site.get_by_role("button", name="Abrir chat")
        unread = site.locator(".bubble .badge")
        await expect(unread).to_have_text("1")

        # when the visitor leaves and comes back later
        await site.reload()
        # then the unread reply still waits on the bubble
        await expect(unread).to_have_text("1")
        await bubble.click()
        chat = site.get_by_role("dialog", name="Fale conosco")
        # and the conversation is where it was, and what she writes joins it
        await expect(chat.locator("li")).to_have_count(3)
        await expect(chat.locator("li").last).to_contain_text("Temos horários no sábado.")
        await expect(unread).to_be_hidden()
        await expect(unread).to_have_count(1)
        await expect(chat.get_by_label("Seu nome")).to_be_hidden()
        await chat.get_by_role("textbox", name="Mensagem").fill("Sábado de manhã pode?")
        await chat.get_by_role("textbox", name="Mensagem").press("Enter")
        await expect(thread.locator(".message.inbound")).to_have_count(2)
        await expect(agent_page.locator(".conversation-item")).to_have_count(1)
        assert site.errors == []
    finally:
        await site.close()
