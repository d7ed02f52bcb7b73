"""A small graphql-transport-ws client for tests (enisdenjo/graphql-ws PROTOCOL.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed


def _frame(raw: str | bytes) -> dict[str, Any]:
    """A server message: graphql-transport-ws sends JSON in text frames
    only (a browser cannot parse a binary frame's Blob and drops the socket)."""
    assert isinstance(raw, str), f"binary frame from the server: {raw[:80]!r}"
    return json.loads(raw)


class Subscription:
    def __init__(self, socket: Any, sub_id: str) -> None:
        self.socket = socket
        self.id = sub_id

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next `next` payload of this subscription (fails on error/complete)."""
        while True:
            message = _frame(await asyncio.wait_for(self.socket.recv(), timeout))
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] == "pong":
                continue
            assert message.get("id") == self.id, message
            assert message["type"] == "next", message
            return message["payload"]

    async def nothing_for(self, seconds: float) -> None:
        """Assert no message arrives for this subscription within `seconds`."""
        try:
            message = _frame(await asyncio.wait_for(self.socket.recv(), seconds))
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")


@asynccontextmanager
async def connect(ws_url: str, token: str, compression: str | None = "deflate") -> AsyncIterator[Any]:
    """A graphql-transport-ws client, acknowledged; it offers per-message
    deflate as a browser does unless `compression` is None."""
    async with websockets.connect(
        ws_url, subprotocols=["graphql-transport-ws"], compression=compression
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = _frame(await asyncio.wait_for(socket.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        yield socket


async def subscribe(socket: Any, query: str, variables: dict[str, Any], sub_id: str = "1") -> Subscription:
    await socket.send(
        json.dumps({"id": sub_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})
    )
    return Subscription(socket, sub_id)


async def closed_with(socket: Any, timeout: float = 5.0) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes the socket: its close code and the
    messages that came before."""
    messages = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                messages.append(_frame(await socket.recv()))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the client closed, not the server"
        return closed.rcvd.code, messages
    raise AssertionError("unreachable")


async def run_on(
    socket: Any, sub_id: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run one operation on an open socket; its first answer."""
    await socket.send(
        json.dumps(
            {"id": sub_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
        )
    )
    return _frame(await asyncio.wait_for(socket.recv(), 5))
