"""The web inbox with the flow chatbot, in headless Chromium: an agent
opens a conversation the bot is having, sees the bot's messages signed
"Bot", and takes it over with "Passar para atendente"."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from playwright.async_api import expect

from tests.chatbot.support import SIMPLE_FLOW, set_flow, settle
from tests.e2e.test_inbox import given_an_agent_with_an_inbox, inbox_page
from tests.inbox.support import conversation, receive


async def test_an_agent_sees_the_bot_at_work_and_takes_the_conversation_over(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given an inbox with a bot flow, and a contact talking to the bot
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    await set_flow(gql, workspace.token, inbox["id"], SIMPLE_FLOW)
    talk = (await receive(gql, workspace.token, inbox["id"], name="Carla Compradora", body="Oi"))[
        "conversation"
    ]
    await settle()
    # when the queue's agent opens it
    page = await inbox_page(open_page, server, agent, f"#/inbox/{quote(talk['id'])}")
    thread = page.locator(".thread-pane")
    # then she sees it is pending, with the bot's messages signed "Bot"
    await expect(thread.locator(".badge-status")).to_have_text("Pendente")
    bot_bubble = thread.locator(".message.outbound").filter(has_text="Olá! Sou o assistente virtual.")
    await expect(bot_bubble.locator(".author")).to_have_text("Bot")
    # when she takes it over
    await thread.get_by_role("button", name="Passar para atendente").click()
    # then it is open and hers, the button gone, and the thread says why
    await expect(thread.locator(".badge-status")).to_have_text("Aberta")
    await expect(thread.get_by_role("button", name="Passar para atendente")).to_have_count(0)
    stored = await conversation(gql, workspace.token, talk["id"])
    assert stored["status"] == "OPEN" and stored["assignee"]["id"] == agent["id"]
