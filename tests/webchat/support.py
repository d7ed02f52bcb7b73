"""A webchat visitor for tests: the widget's side of /webchat/ws, frame by
frame, and WEBCHAT inboxes made through the API."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from tests.inbox.support import create_inbox

WEBCHAT_INBOX = """
query Inboxes { inboxes { id name channel webchat { publicKey snippet allowedOrigins title greeting color } } }
"""


async def webchat_inbox(gql: Any, token: str, **more: Any) -> dict[str, Any]:
    """A new WEBCHAT inbox with its widget setup (as its administrator reads it)."""
    inbox = await create_inbox(gql, token, channel="WEBCHAT", **more)
    rows = (await gql.ok(WEBCHAT_INBOX, token=token))["inboxes"]
    return next(row for row in rows if row["id"] == inbox["id"])


class Visitor:
    """One open visitor socket after hello."""

    def __init__(self, socket: Any, ready: dict[str, Any]) -> None:
        self.socket = socket
        self.ready = ready
        self.token: str = ready["token"]
        # clientMessageIds this socket sent: the stream echoes them back.
        self.sent: set[str] = set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    async def frame(self, timeout: float = 10.0) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))

    async def frame_of(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame of this type (others are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.frame(max(0.05, deadline - loop.time()))
            if frame["type"] == kind:
                return frame

    async def write(self, body: str, client_message_id: str | None = None, **more: Any) -> dict[str, Any]:
        """Send a message; its `accepted` frame (or the `error`)."""
        client_message_id = client_message_id or uuid.uuid4().hex
        self.sent.add(client_message_id)
        await self.send({"type": "message", "clientMessageId": client_message_id, "body": body, **more})
        while True:
            frame = await self.frame()
            if frame["type"] in ("accepted", "error") and frame.get("clientMessageId") == client_message_id:
                return frame

    async def live_message(self, timeout: float = 10.0) -> dict[str, Any]:
        return (await self.frame_of("message", timeout))["message"]

    async def nothing_for(self, seconds: float, kind: str = "message") -> None:
        """No frame of this type arrives within `seconds` (but the echoes of
        this socket's own messages)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            try:
                frame = await self.frame(deadline - loop.time())
            except TimeoutError:
                return
            echo = frame.get("message", {}).get("clientMessageId") in self.sent
            assert frame["type"] != kind or echo, frame


def socket_url(server: Any, public_key: str) -> str:
    return f"ws://127.0.0.1:{server.port}/webchat/ws?inbox={public_key}"


@asynccontextmanager
async def visit(
    server: Any,
    public_key: str,
    token: str | None = None,
    *,
    origin: str | None = None,
    headers: dict[str, str] | None = None,
    **hello: Any,
) -> AsyncIterator[Visitor]:
    """A visitor's socket, past hello and ready."""
    all_headers = {**(headers or {}), **({"Origin": origin} if origin else {})}
    async with websockets.connect(
        socket_url(server, public_key), additional_headers=all_headers or None
    ) as socket:
        await socket.send(json.dumps({"type": "hello", "token": token, **hello}))
        ready = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert ready["type"] == "ready", ready
        yield Visitor(socket, ready)


async def refused(
    server: Any,
    public_key: str,
    frames: list[dict[str, Any] | str],
    *,
    origin: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Open a socket, send frames, and return how the server closed it."""
    all_headers = {**(headers or {}), **({"Origin": origin} if origin else {})}
    async with websockets.connect(
        socket_url(server, public_key), additional_headers=all_headers or None
    ) as socket:
        try:
            for frame in frames:
                await socket.send(frame if isinstance(frame, str) else json.dumps(frame))
            while True:
                await asyncio.wait_for(socket.recv(), 10)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError("the socket was not closed")
