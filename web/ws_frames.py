"""Live frames written straight to a websocket's transport.

A board event goes to every subscriber of a group as the same bytes but
for the operation id in front (resolvers/board_hub.py). Through the ASGI
interface each of them costs a chain of coroutines (Starlette's WebSocket,
the middleware's send wrappers, the server's send, which waits on its
writability event), an encoding of the text and the websocket library's
framing (and, with per-message deflate, a compression) — most of what a
subscriber cost per event. `FrameWriter` writes the finished frame to the
server's transport itself when it can, and says so; the caller then takes
the ASGI path.

It can when the server's protocol is `SharedDeflateProtocol` (uvicorn's
sans-I/O websockets protocol, as `revgraph serve` runs it) and the
connection is open, writable (not paused by flow control) and not
closing. A server's frames are not masked, so a text frame is a 2-, 4- or
10-byte header and the UTF-8 text. Frames are whole and written
synchronously, so they never interleave with the server's own (pings,
close).

Per-message deflate (RFC 7692), which browsers always offer, is answered
with `server_no_context_takeover` (the server may always choose it, 7.1.1.1):
every message is then compressed on its own, so the compressed text of an
event is the same for every socket with the same window size. `deflated`
compresses it once per event and window; each socket's frame is its own
prefix as a stored deflate block, then those shared bytes (RSV1 set, the
sync flush's trailing 00 00 ff ff removed, one final frame: 7.2.1). The
library's own compressor starts afresh for each of its messages, so the
frames written here never break its stream. Any other extension, or deflate
with context takeover (a server elsewhere), takes the ASGI path.

The hot path, once per subscriber and event, is `FrameWriter.write`, kept to
one Python call down to the socket: a writer is closed (`close`) by its
owner the moment its operation ends or its credential is revoked, so the
hub asks nothing else before writing; what the protocol knows of the
socket's state (the connection open, a close sent, disconnected, paused)
it tells its writers when it changes, so a frame reads it from the writer
instead of from the protocol, its writability event and its websockets
connection — at thousands of sockets each object a frame reads is memory
the other sockets' sends evicted, a stall per object (bench/READS.md,
h-fanout2); and on asyncio's own socket transport
with nothing buffered, the frame goes to the socket's `send` itself (what
`transport.write` does first, without its per-call checks and slicing),
anything it could not take going to `transport.write` behind it
(`send_frame`). Everything that touches asyncio's or uvicorn's internals
is in this module."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from asyncio import selector_events
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

try:  # the server `revgraph serve` runs; any other takes the ASGI path
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
    from websockets.protocol import State

    OPEN: Any = State.OPEN
except ImportError:  # pragma: no cover
    WebSocketsSansIOProtocol = None
    OPEN = None

# Where KeepServerSend leaves the server's own `send` in a websocket's scope.
SERVER_SEND = "revgraph.server_send"

# uvicorn's own choices (window 4 KiB, memLevel 5: small per message) plus
# no context takeover either way: nothing kept per socket between messages,
# and a server message can be compressed once for every socket.
DEFLATE_WINDOW_BITS = 12
DEFLATE_SETTINGS = {"memLevel": 5}


class KeepServerSend:
    """ASGI middleware (the outermost of the app's): keeps the server's
    `send` of a websocket in its scope, before any middleware wraps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


if WebSocketsSansIOProtocol is not None:

    class SharedDeflateProtocol(WebSocketsSansIOProtocol):
        """uvicorn's sans-I/O websocket protocol, answering a per-message
        deflate offer without context takeover (see the module), and telling
        its FrameWriters whether they may write (`frames_writable`) whenever
        that changes, so that a frame does not read it from the protocol and
        its writability event (see `FrameWriter.write`)."""

        def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
            # Before uvicorn's __init__: it sets close_sent and disconnected
            # (the properties below), then creates `writable`.
            self.frame_writers: list[FrameWriter] = []
            self._close_sent = self._disconnected = False
            super().__init__(config, *args, **kwargs)
            if config.ws_per_message_deflate:
                self.conn.available_extensions = [
                    ServerPerMessageDeflateFactory(
                        server_no_context_takeover=True,
                        client_no_context_takeover=True,
                        server_max_window_bits=DEFLATE_WINDOW_BITS,
                        client_max_window_bits=DEFLATE_WINDOW_BITS,
                        compress_settings=DEFLATE_SETTINGS,
                    )
                ]

        # uvicorn sets and reads these two as plain attributes; through the
        # properties a change also reaches the writers.
        @property  # type: ignore[override]
        def close_sent(self) -> bool:
            return self._close_sent

        @close_sent.setter
        def close_sent(self, value: bool) -> None:
            self._close_sent = value
            self.tell_writers()

        @property  # type: ignore[override]
        def disconnected(self) -> bool:
            return self._disconnected

        @disconnected.setter
        def disconnected(self, value: bool) -> None:
            self._disconnected = value
            self.tell_writers()

        # The transport's flow control: uvicorn's `writable` event is cleared
        # and set only here (and set in connection_lost, after disconnected).
        def pause_writing(self) -> None:
            super().pause_writing()
            self.tell_writers()

        def resume_writing(self) -> None:
            super().resume_writing()
            self.tell_writers()

        # The websockets connection leaves OPEN in uvicorn's methods: where
        # it sends a close (close_sent is set with it), where it fails it on
        # a keep-alive timeout (likewise), on what the client sent (its
        # close, a frame it cannot parse) and when the server stops.
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self.tell_writers()

        def shutdown(self) -> None:
            super().shutdown()
            self.tell_writers()

        def frames_writable(self) -> bool:
            """Whether the socket's state allows a frame, as far as the
            protocol knows it: the connection open, no close sent, not
            disconnected, the transport not paused. (The transport's own
            state — closing, bytes still buffered — FrameWriter reads.)"""
            writable = getattr(self, "writable", None)  # (not yet while uvicorn's __init__ runs)
            return not (
                self._close_sent
                or self._disconnected
                or writable is None
                or not writable.is_set()
                or self.conn.state is not OPEN
            )

        def tell_writers(self) -> None:
            if self.frame_writers:
                ready = self.frames_writable()
                for writer in self.frame_writers:
                    writer.ready = ready

else:  # pragma: no cover
    SharedDeflateProtocol = None  # type: ignore[assignment,misc]


_SHORT = struct.Struct("!BBH").pack  # a 126..65,535-byte frame's header

# asyncio's socket transport (the default loop's), whose socket a frame may
# be sent on directly while nothing waits in its buffer (send_frame).
_SOCKET_TRANSPORT: Any = getattr(selector_events, "_SelectorSocketTransport", None)


def socket_of(transport: Any) -> Any:
    """The socket a frame may be sent on directly (see `send_frame`), or None
    for any transport but asyncio's own (uvloop's, a test's stand-in)."""
    if _SOCKET_TRANSPORT is None or type(transport) is not _SOCKET_TRANSPORT:
        return None
    sock = getattr(transport, "_sock", None)
    has_state = all(hasattr(transport, name) for name in ("_buffer", "_conn_lost", "_closing"))
    return sock if has_state else None


def send_frame(transport: Any, sock: Any, frame: bytes) -> None:
    """Write `frame` to `transport`. With `sock` (socket_of), while nothing
    is buffered and the connection stands, it is sent on the socket at
    once, as `transport.write` would first do; what the socket did not take,
    or any error, goes through `transport.write` (which buffers it behind,
    or reports the error its own way). Bytes already buffered are never
    overtaken."""
    if sock is not None and not transport._buffer and not transport._conn_lost:
        try:
            sent = sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except Exception:
            transport.write(frame)  # it tries once more and handles the failure
            return
        if sent == len(frame):
            return
        frame = frame[sent:]
    transport.write(frame)


def _told_state(protocol: Any) -> bool:
    """Whether the protocol can tell the writer its state (frames_writable):
    uvicorn's `writable` an `asyncio.Event`, the connection's state
    websockets'; a library that changed them makes every frame take the
    ASGI path rather than be written on a state nobody tells."""
    writable = getattr(protocol, "writable", None)
    return isinstance(writable, asyncio.Event) and isinstance(getattr(protocol.conn, "state", None), State)


def frame_header(size: int, first: int = 0x81) -> bytes:
    """The header of a final, unmasked frame (RFC 6455 5.2) of `size`
    bytes; `first`: FIN, RSV1-3 and the opcode (a text frame by default)."""
    if size < 126:
        return bytes((first, size))
    if size < 65536:
        return _SHORT(first, 126, size)
    return struct.pack("!BBQ", first, 127, size)


# A final text frame of a compressed message: FIN, RSV1, opcode 1.
DEFLATED_TEXT = 0xC1
# The headers of compressed frames under 126 bytes, by size (no call per frame).
_SMALL_DEFLATED = [frame_header(size, DEFLATED_TEXT) for size in range(126)]
_SYNC_FLUSH_TAIL = b"\x00\x00\xff\xff"


def stored_block(data: bytes) -> bytes:
    """`data` as a non-final stored deflate block (RFC 1951 3.2.4), starting
    and ending on a byte boundary, so any deflate stream may follow it."""
    blocks = []
    for start in range(0, len(data), 65535):
        chunk = data[start : start + 65535]
        blocks.append(struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


_deflated: dict[tuple[int, bytes, int], tuple[bytes, bytes]] = {}
# The last text compressed, as (text, tail, window bits, the compressed bytes):
# a group's members come one after the other in the hub's loop, so every
# compressed socket of a group but the first finds its event here, with an
# identity check instead of a call, a key and a lookup (FrameWriter.write).
_last_deflated: tuple[bytes, bytes, int, bytes] = (b"", b"", 0, b"")


def deflated(text: bytes, tail: bytes, window_bits: int) -> bytes:
    """`text` + `tail` as the rest of a per-message-deflate message (a
    fresh raw deflate stream, sync-flushed, without the trailing 00 00 ff ff),
    memoised by the identity of `text`: the hub hands every subscriber of a
    group the same bytes object, so it is compressed once per event and
    window (the memo holds `text`, so its id is not reused while cached)."""
    global _last_deflated
    key = (id(text), tail, window_bits)
    hit = _deflated.get(key)
    if hit is not None and hit[0] is text:
        _last_deflated = (text, tail, window_bits, hit[1])
        return hit[1]
    compressor = zlib.compressobj(wbits=-window_bits, **DEFLATE_SETTINGS)
    data = compressor.compress(text) + compressor.compress(tail) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(_SYNC_FLUSH_TAIL)
    data = data[:-4]
    _deflated[key] = (text, data)
    if len(_deflated) > 64:
        del _deflated[next(iter(_deflated))]
    _last_deflated = (text, tail, window_bits, data)
    return data


def shared_deflate_window(extensions: list[Any]) -> int | None:
    """0 when a socket has no extension; the window bits of its deflate
    when that is its only extension and compresses each message on its own;
    None otherwise (frames of such a socket take the ASGI path)."""
    if not extensions:
        return 0
    if len(extensions) == 1:
        [extension] = extensions
        if isinstance(extension, PerMessageDeflate) and extension.local_no_context_takeover:
            return extension.local_max_window_bits
    return None


class FrameWriter:
    """Writes the text frames `head` + text + `tail` (UTF-8) to one
    websocket's transport (see the module)."""

    __slots__ = (
        "deflated_head",
        "deflated_head_size",
        "head",
        "plain_size",
        "protocol",
        "ready",
        "sock",
        "tail",
        "transport",
        "window_bits",
    )

    def __init__(self, scope: Scope, head: bytes = b"", tail: bytes = b"") -> None:
        protocol = getattr(scope.get(SERVER_SEND), "__self__", None)
        window_bits = None
        if SharedDeflateProtocol is not None and isinstance(protocol, SharedDeflateProtocol):
            window_bits = shared_deflate_window(protocol.conn.extensions)
        if window_bits is not None and not _told_state(protocol):
            window_bits = None
        self.protocol = protocol if window_bits is not None else None
        # Told by the protocol (tell_writers) whether the socket's state
        # allows a frame: `write` reads it here, not from the protocol, its
        # writability event and its connection (per subscriber and event,
        # each object read is memory the other sockets' sends evicted).
        self.ready = False
        if self.protocol is not None:
            self.protocol.frame_writers.append(self)
            self.ready = self.protocol.frames_writable()
        # (set at connection_made, before the ASGI app and any writer)
        self.transport = getattr(self.protocol, "transport", None)
        self.sock = socket_of(self.transport)
        self.window_bits = window_bits or 0
        self.head = head
        self.tail = tail
        self.deflated_head = stored_block(head) if head else b""
        self.deflated_head_size = len(self.deflated_head)
        self.plain_size = len(head) + len(tail)

    @property
    def compressed(self) -> bool:
        """Whether this socket's frames are per-message deflated."""
        return self.window_bits != 0

    def close(self) -> None:
        """Write nothing more (the operation ended, its credential was
        revoked): `write` answers False from now on."""
        protocol, self.protocol = self.protocol, None
        self.ready = False
        if protocol is not None:
            with contextlib.suppress(ValueError):
                protocol.frame_writers.remove(self)

    def _transport(self) -> Any:
        """The socket's transport if it can take a frame now, else None."""
        if not self.ready:
            return None
        transport = self.transport
        return None if transport.is_closing() else transport

    def frame(self, text: bytes) -> bytes:
        """The whole frame of the message `head` + `text` + `tail`."""
        if self.window_bits:
            shared = deflated(text, self.tail, self.window_bits)
            size = len(self.deflated_head) + len(shared)
            return b"".join((frame_header(size, DEFLATED_TEXT), self.deflated_head, shared))
        size = self.plain_size + len(text)
        return b"".join((frame_header(size), self.head, text, self.tail))

    def write(self, text: bytes) -> bool:
        """Write one message, `head` + `text` + `tail`, as one frame now;
        False (nothing written) when the writer was closed or the socket is
        not in a state to take it this way. (`_transport`, `frame` and
        `send_frame` written out, the protocol's part of the state told to
        the writer (`ready`), and the transport's read from the attribute
        behind `is_closing`: this runs once per subscriber and event.)"""
        if not self.ready:
            return False
        transport = self.transport
        sock = self.sock
        if transport._closing if sock is not None else transport.is_closing():
            return False
        if self.window_bits:
            last = _last_deflated
            if last[0] is text and last[1] is self.tail and last[2] == self.window_bits:
                shared = last[3]
            else:
                shared = deflated(text, self.tail, self.window_bits)
            size = self.deflated_head_size + len(shared)
            if size < 126:  # a board event's frame, compressed
                frame = b"".join((_SMALL_DEFLATED[size], self.deflated_head, shared))
                whole = size + 2
            elif size < 65536:
                frame = b"".join((_SHORT(DEFLATED_TEXT, 126, size), self.deflated_head, shared))
                whole = size + 4
            else:
                frame = b"".join((frame_header(size, DEFLATED_TEXT), self.deflated_head, shared))
                whole = -1
        else:
            size = self.plain_size + len(text)
            if 126 <= size < 65536:  # a board event's frame
                frame = b"".join((_SHORT(0x81, 126, size), self.head, text, self.tail))
                whole = size + 4
            else:
                frame = b"".join((frame_header(size), self.head, text, self.tail))
                whole = -1
        if sock is not None and not transport._buffer and not transport._conn_lost:
            try:
                sent = sock.send(frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except Exception:
                transport.write(frame)  # it tries once more and handles the failure
                return True
            if sent == whole or sent == len(frame):
                return True
            frame = frame[sent:]
        transport.write(frame)
        return True

    def write_many(self, texts: list[bytes]) -> bool:
        """Write one frame per text, in order, in one write to the transport
        (one send for the kernel, not one per message); False (nothing
        written) as for `write`."""
        transport = self._transport()
        if transport is None:
            return False
        send_frame(transport, self.sock, b"".join([self.frame(text) for text in texts]))
        return True
