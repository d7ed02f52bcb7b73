"""Visitors' rate limits: sockets open at once per visitor and per client
IP, new sockets per IP in a minute, messages per visitor and per IP in a
minute — past them the socket is closed 4429 with the reason, nothing of
the refused message is stored, and a closed socket frees its place. With
Redis the counts are shared by every server process."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.webchat.support import refused, visit, webchat_inbox
from tests.webchat.test_visitors import agent_sees, thread


async def test_a_visitor_writing_too_fast_is_closed_4429_and_the_excess_is_not_stored(
    gql, workspace, private_server
):
    limited = await private_server(limits={"webchat_messages_per_visitor_per_minute": 3})
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    async with visit(limited, key) as visitor:
        for n in range(3):
            assert (await visitor.write(f"mensagem {n}"))["type"] == "accepted"
        token = visitor.token
        await visitor.send({"type": "message", "clientMessageId": "m-4", "body": "a quarta"})
        code, reason = await _closed(visitor)
    assert (code, reason) == (4429, "mensagens demais por minuto")
    [conversation] = await agent_sees(gql, workspace.token, inbox["id"])
    assert [m["body"] for m in await thread(gql, workspace.token, conversation["id"])] == [
        "mensagem 0",
        "mensagem 1",
        "mensagem 2",
    ]
    # the same visitor on a new socket is still over their minute's budget
    assert await refused(
        limited,
        key,
        [{"type": "hello", "token": token}, {"type": "message", "clientMessageId": "m-5", "body": "x"}],
    ) == (4429, "mensagens demais por minuto")


async def test_messages_are_counted_per_client_ip_across_visitors(gql, workspace, private_server):
    limited = await private_server(limits={"webchat_messages_per_ip_per_minute": 2})
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    async with visit(limited, key) as one, visit(limited, key) as two:
        assert (await one.write("um"))["type"] == "accepted"
        assert (await two.write("dois"))["type"] == "accepted"
        await two.send({"type": "message", "clientMessageId": "c-3", "body": "três"})
        assert await _closed(two) == (4429, "mensagens demais por minuto")
    # and a visitor of another client IP (behind the trusted proxy) has its own budget
    async with visit(limited, key, headers={"X-Forwarded-For": "203.0.113.9"}) as elsewhere:
        assert (await elsewhere.write("de outro lugar"))["type"] == "accepted"


async def test_open_sockets_are_bounded_per_visitor_and_per_ip_and_freed_on_close(
    gql, workspace, private_server
):
    limited = await private_server(limits={"webchat_sockets_per_visitor": 2, "webchat_sockets_per_ip": 3})
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    async with visit(limited, key) as first:
        token = first.token
        async with visit(limited, key, token):
            # a third socket of the same visitor is refused
            assert await refused(limited, key, [{"type": "hello", "token": token}]) == (
                4429,
                "conexões abertas demais",
            )
            # another visitor from the same IP takes the IP's last place, then the IP is full
            async with visit(limited, key):
                assert await refused(limited, key, [{"type": "hello"}]) == (4429, "conexões abertas demais")
            # a visitor from another IP is not affected
            async with visit(limited, key, headers={"X-Forwarded-For": "203.0.113.7"}) as elsewhere:
                assert elsewhere.ready["type"] == "ready"
    # closed sockets free their places
    await asyncio.sleep(0.2)
    async with visit(limited, key, token) as again, visit(limited, key, token):
        assert again.ready["token"] == token


async def test_new_sockets_per_minute_are_bounded_per_ip(gql, workspace, private_server):
    limited = await private_server(limits={"webchat_connects_per_ip_per_minute": 2})
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    for _ in range(2):
        async with visit(limited, key):
            pass
    assert await refused(limited, key, [{"type": "hello"}]) == (4429, "conexões demais por minuto")


async def _closed(visitor: Any) -> tuple[int, str]:
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            await visitor.frame()
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code, closed.rcvd.reason


async def test_acknowledgements_have_their_own_budget_and_do_not_use_up_messages(
    gql, workspace, private_server
):
    from revgraph.resolvers.channels.webchat.limits import CONTROL_FRAMES_PER_MINUTE

    limited = await private_server(limits={"webchat_messages_per_visitor_per_minute": 2})
    inbox = await webchat_inbox(gql, workspace.token)
    async with visit(limited, inbox["webchat"]["publicKey"]) as visitor:
        # a widget acknowledging many replies still has its messages
        for _ in range(10):
            await visitor.send({"type": "ack", "messageIds": ["TWVzc2FnZToxMjM0NQ"], "status": "DELIVERED"})
        await visitor.send({"type": "ping"})
        await visitor.frame_of("pong")
        assert (await visitor.write("um"))["type"] == "accepted"
        assert (await visitor.write("dois"))["type"] == "accepted"
        # but a flood of them is closed like a flood of messages
        for _ in range(CONTROL_FRAMES_PER_MINUTE):
            await visitor.send({"type": "ping"})
        assert await _closed(visitor) == (4429, "quadros demais por minuto")
