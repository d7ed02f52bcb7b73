"""Live frames written straight to a websocket's transport.

A board event goes to every subscriber of a group as the same bytes but
for the operation id in front (resolvers/board_hub.py). Through the ASGI
interface each of them costs a chain of coroutines (Starlette's WebSocket,
the middleware's send wrappers, the server's send, which waits on its
writability event), an encoding of the text and the websocket library's
framing — most of what a subscriber cost per event. `FrameWriter` writes
the finished text frame to the server's transport itself when it can, and
says so; the caller then takes the ASGI path.

It can when the server is uvicorn's sans-I/O websockets protocol (what
`revgraph serve` runs) and the connection is open, writable (not paused by
flow control), not closing, and has no extension (per-message deflate is
off in `serve`: web/cli.py SERVER_OPTIONS): a server's frames are not
masked, so a text frame is a 2-, 4- or 10-byte header and the UTF-8 text.
Frames are whole and written synchronously, so they never interleave with
the server's own (pings, close)."""

from __future__ import annotations

import struct
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

try:  # the server `revgraph serve` runs; any other takes the ASGI path
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.protocol import State

    OPEN: Any = State.OPEN
except ImportError:  # pragma: no cover
    WebSocketsSansIOProtocol = None
    OPEN = None

# Where KeepServerSend leaves the server's own `send` in a websocket's scope.
SERVER_SEND = "revgraph.server_send"


class KeepServerSend:
    """ASGI middleware (the outermost of the app's): keeps the server's
    `send` of a websocket in its scope, before any middleware wraps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


def frame_header(size: int) -> bytes:
    """The header of a final, unmasked text frame (RFC 6455 5.2) of `size` bytes."""
    if size < 126:
        return bytes((0x81, size))
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size)
    return struct.pack("!BBQ", 0x81, 127, size)


class FrameWriter:
    """Writes text frames to one websocket's transport (see the module)."""

    __slots__ = ("protocol",)

    def __init__(self, scope: Scope) -> None:
        protocol = getattr(scope.get(SERVER_SEND), "__self__", None)
        usable = (
            WebSocketsSansIOProtocol is not None
            and isinstance(protocol, WebSocketsSansIOProtocol)
            and not protocol.conn.extensions
        )
        self.protocol = protocol if usable else None

    def write(self, head: bytes, text: bytes, tail: bytes) -> bool:
        """Write `head`, `text` and `tail` (UTF-8) as one text frame now;
        False (nothing written) when the socket is not in a state to take
        it this way."""
        protocol = self.protocol
        if (
            protocol is None
            or protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.conn.state is not OPEN
            or protocol.transport.is_closing()
        ):
            return False
        header = frame_header(len(head) + len(text) + len(tail))
        protocol.transport.write(b"".join((header, head, text, tail)))
        return True
