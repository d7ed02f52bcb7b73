"""A FrameWriter is told by its socket's protocol (web/ws_frames.py
SharedDeflateProtocol, built here by uvicorn's own constructor) whether a
frame may go out — paused by flow control, a close sent, disconnected —
instead of reading it from the protocol per frame: the writer refuses
exactly while the protocol's own state says no, and a closed writer stays
closed and is forgotten by the protocol."""

import asyncio
import contextlib
import socket

import uvicorn
from uvicorn.server import ServerState
from websockets.protocol import State

from revgraph.web.ws_frames import SERVER_SEND, FrameWriter, SharedDeflateProtocol


async def _app(scope, receive, send):
    """Accepts the websocket, then waits until it is gone."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass


HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@contextlib.asynccontextmanager
async def _connected_protocol():
    """uvicorn's websocket protocol as `revgraph serve` makes it, on one end
    of a socket pair, after the opening handshake (the app accepted); yields
    it and the client's end (the 101 response read off it)."""
    config = uvicorn.Config(_app, ws=SharedDeflateProtocol, ws_per_message_deflate=True, log_level="warning")
    config.load()
    protocol = SharedDeflateProtocol(config, ServerState(), {})
    ours, theirs = socket.socketpair()
    transport, _ = await asyncio.get_running_loop().connect_accepted_socket(lambda: protocol, ours)
    try:
        protocol.data_received(HANDSHAKE)
        for _ in range(200):
            if protocol.conn.state is State.OPEN:
                break
            await asyncio.sleep(0.005)
        assert protocol.conn.state is State.OPEN
        theirs.setblocking(False)
        assert theirs.recv(1 << 16).startswith(b"HTTP/1.1 101")
        yield protocol, theirs
    finally:
        transport.close()
        theirs.close()
        await asyncio.sleep(0.01)  # (connection_lost, the app's end)


def _says_yes(protocol) -> bool:
    """What uvicorn's own attributes say of a frame going out now."""
    return not protocol.close_sent and not protocol.disconnected and protocol.writable.is_set()


async def test_a_writer_is_told_when_its_socket_pauses_and_resumes():
    async with _connected_protocol() as (protocol, _):
        writer = FrameWriter({SERVER_SEND: protocol.send}, b"<", b">")
        assert writer.ready and _says_yes(protocol)
        protocol.pause_writing()  # the transport's buffer passed its high-water mark
        assert not writer.ready and not _says_yes(protocol)
        assert not writer.write(b"x")  # nothing written: the caller takes the ASGI path
        protocol.resume_writing()
        assert writer.ready and _says_yes(protocol)


async def test_a_writer_refuses_once_the_close_is_sent_and_one_made_after_it_from_the_start():
    async with _connected_protocol() as (protocol, _):
        writer = FrameWriter({SERVER_SEND: protocol.send}, b"<", b">")
        protocol.close_sent = True  # as uvicorn does when it sends a close frame
        assert not writer.ready and not writer.write(b"x")
        later = FrameWriter({SERVER_SEND: protocol.send}, b"<", b">")
        assert not later.ready and not later.write(b"x")
        protocol.resume_writing()  # nothing else reopens them
        assert not writer.ready and not later.ready


async def test_a_writer_refuses_once_its_socket_is_lost():
    async with _connected_protocol() as (protocol, theirs):
        writer = FrameWriter({SERVER_SEND: protocol.send}, b"<", b">")
        theirs.close()  # the client goes away: the transport reads EOF, connection_lost
        for _ in range(100):
            if protocol.disconnected:
                break
            await asyncio.sleep(0.01)
        assert protocol.disconnected
        # uvicorn sets `writable` again on a lost connection: the writer stays closed
        assert protocol.writable.is_set()
        assert not writer.ready and not writer.write(b"x")


async def test_a_closed_writer_is_forgotten_by_its_protocol_and_stays_closed():
    async with _connected_protocol() as (protocol, theirs):
        writers = [FrameWriter({SERVER_SEND: protocol.send}, b"<", b">") for _ in range(3)]
        assert protocol.frame_writers == writers
        writers[1].close()  # its operation ended
        assert protocol.frame_writers == [writers[0], writers[2]]
        protocol.pause_writing()
        protocol.resume_writing()  # the others are told; the closed one is not reopened
        assert [w.ready for w in writers] == [True, False, True]
        assert not writers[1].write(b"x")
        assert writers[0].write(b"first") and writers[2].write(b"third")
        assert theirs.recv(1 << 16) == writers[0].frame(b"first") + writers[2].frame(b"third")
        writers[1].close()  # twice: nothing more happens
        assert protocol.frame_writers == [writers[0], writers[2]]


# A client's close frame, masked as clients must (RFC 6455 5.3): code 1000.
CLIENT_CLOSE = bytes([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2])


async def test_a_writer_is_told_when_the_client_closes_or_the_server_stops():
    for ends in ("client close", "server shutdown"):
        async with _connected_protocol() as (protocol, _):
            writer = FrameWriter({SERVER_SEND: protocol.send}, b"<", b">")
            assert writer.ready
            if ends == "client close":
                protocol.data_received(CLIENT_CLOSE)
            else:
                protocol.shutdown()
            # the websockets connection left OPEN without uvicorn setting close_sent
            assert protocol.conn.state is not State.OPEN and not protocol.close_sent, ends
            assert not writer.ready and not writer.write(b"x"), ends
