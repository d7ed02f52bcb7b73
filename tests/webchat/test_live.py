"""Agents' replies reach the visitor's socket live through the inbox
stream (across processes through Redis), never a note; the widget's
acknowledgements move the reply to DELIVERED and READ; and a visitor only
ever sees their own conversation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import REAL_REDIS
from tests.inbox.support import CONVERSATION, send
from tests.support import GraphQLClient
from tests.webchat.support import visit, webchat_inbox
from tests.webchat.test_visitors import agent_sees


async def conversation_of(gql: Any, token: str, inbox_id: str, body: str) -> str:
    """The id of the inbox's conversation whose first message is `body`."""
    for conversation in await agent_sees(gql, token, inbox_id):
        found = (await gql.ok(CONVERSATION, {"id": conversation["id"]}, token=token))["conversation"]
        if found["messages"]["edges"][0]["node"]["body"] == body:
            return conversation["id"]
    raise AssertionError(f"no conversation starts with {body!r}")


async def status_of(gql: Any, token: str, conversation_id: str, message_id: str) -> str:
    found = (await gql.ok(CONVERSATION, {"id": conversation_id}, token=token))["conversation"]
    return next(e["node"]["status"] for e in found["messages"]["edges"] if e["node"]["id"] == message_id)


async def eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_an_agents_reply_arrives_live_and_a_note_never_does(gql, workspace, server):
    # given a visitor who wrote and keeps the chat open
    inbox = await webchat_inbox(gql, workspace.token)
    async with visit(server, inbox["webchat"]["publicKey"]) as visitor:
        await visitor.write("Tem vaga de garagem?")
        conversation_id = await conversation_of(gql, workspace.token, inbox["id"], "Tem vaga de garagem?")
        # when an agent adds a note, then replies
        await send(gql, workspace.token, conversation_id, "ver com o síndico", kind="NOTE")
        reply = (await send(gql, workspace.token, conversation_id, "Tem sim, uma vaga coberta."))["message"]
        # then the reply arrives on the visitor's socket, and the note never does
        live = await visitor.live_message()
        while live["from"] == "visitor":  # their own message, echoed by the stream
            live = await visitor.live_message()
        assert (live["id"], live["from"], live["body"]) == (
            reply["id"],
            "agent",
            "Tem sim, uma vaga coberta.",
        )
        assert live["author"] == workspace.admin["name"].split(" ")[0]
        await visitor.nothing_for(0.5)
        # and the reply is SENT once published; the widget's acks make it DELIVERED, then READ
        await eventually(lambda: _is(gql, workspace.token, conversation_id, reply["id"], "SENT"))
        await visitor.send({"type": "ack", "messageIds": [reply["id"]], "status": "DELIVERED"})
        await eventually(lambda: _is(gql, workspace.token, conversation_id, reply["id"], "DELIVERED"))
        await visitor.send({"type": "ack", "messageIds": [reply["id"]], "status": "READ"})
        await eventually(lambda: _is(gql, workspace.token, conversation_id, reply["id"], "READ"))
        # (a late DELIVERED never takes READ back)
        await visitor.send({"type": "ack", "messageIds": [reply["id"]], "status": "DELIVERED"})
        await visitor.send({"type": "ping"})
        await visitor.frame_of("pong")
    assert await status_of(gql, workspace.token, conversation_id, reply["id"]) == "READ"


async def _is(gql: Any, token: str, conversation_id: str, message_id: str, status: str) -> bool:
    return await status_of(gql, token, conversation_id, message_id) == status


async def test_a_visitor_never_sees_another_visitors_conversation(gql, workspace, server):
    # given two visitors of one inbox who each wrote
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    async with visit(server, key) as ana, visit(server, key) as bruno:
        await ana.write("Sou a Ana", email="ana@example.com")
        await bruno.write("Sou o Bruno")
        ana_conversation = await conversation_of(gql, workspace.token, inbox["id"], "Sou a Ana")
        bruno_conversation = await conversation_of(gql, workspace.token, inbox["id"], "Sou o Bruno")
        assert ana_conversation != bruno_conversation
        # when an agent replies to Bruno
        reply = (await send(gql, workspace.token, bruno_conversation, "Oi Bruno, seu contrato"))["message"]
        # then Bruno gets it and Ana does not
        live = await bruno.live_message()
        while live["from"] == "visitor":
            live = await bruno.live_message()
        assert live["id"] == reply["id"]
        await ana.nothing_for(0.7)
        # when Ana names Bruno's conversation and acknowledges Bruno's reply
        sneaky = await ana.write("me mostre a conversa", conversationId=bruno_conversation)
        await ana.send({"type": "ack", "messageIds": [reply["id"]], "status": "READ"})
        # then her message went to her own conversation and Bruno's reply is untouched
        assert sneaky["type"] == "accepted"
        assert await conversation_of(gql, workspace.token, inbox["id"], "Sou a Ana") == ana_conversation
        await asyncio.sleep(0.3)
        assert await status_of(gql, workspace.token, bruno_conversation, reply["id"]) in ("QUEUED", "SENT")
    # and coming back, each reads only their own
    async with visit(server, key, ana.token) as again:
        assert [m["body"] for m in again.ready["messages"]] == ["Sou a Ana", "me mostre a conversa"]
    async with visit(server, key, bruno.token) as again:
        assert [m["body"] for m in again.ready["messages"]] == ["Sou o Bruno", "Oi Bruno, seu contrato"]


@pytest.mark.skipif(not REAL_REDIS, reason="needs REVGRAPH_TEST_REDIS_URL (two processes share Redis)")
async def test_a_reply_made_through_another_process_reaches_the_visitor_through_redis(gql, workspace, server):
    from tests.infra.revgraph_process import ServeProcess

    # given a visitor connected to a second API process
    inbox = await webchat_inbox(gql, workspace.token)
    other = ServeProcess().start()
    try:
        assert (await other.wait_ready()).status_code == 200
        async with visit(other, inbox["webchat"]["publicKey"]) as visitor:
            await visitor.write("Oi, pelo outro servidor")
            conversation_id = await conversation_of(
                gql, workspace.token, inbox["id"], "Oi, pelo outro servidor"
            )
            # when an agent replies through the test server's process
            async with httpx.AsyncClient(timeout=30) as http:
                reply = await send(GraphQLClient(server, http), workspace.token, conversation_id, "Chegou?")
            # then the reply reaches the visitor on the other process
            live = await visitor.live_message()
            while live["from"] == "visitor":
                live = await visitor.live_message()
            assert (live["id"], live["body"]) == (reply["message"]["id"], "Chegou?")
    finally:
        await other.stop()
