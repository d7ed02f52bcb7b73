"""Live frames written straight to the socket for plain and per-message
deflate sockets alike (web/ws_frames.py): the same events, in order, none
lost; a compressed event compressed once for every compressed socket; a
paused socket waits without holding the others; a closed one leaves."""

import asyncio
import contextlib
import json
import types
import zlib

import pytest

from tests.live import Subscription, closed_with, connect, subscribe
from tests.pipeline.support import board, board_members, create_deal, create_pipeline, move, settled
from tests.pipeline.test_board_events import BOARD_EVENTS


def _deflate(data: bytes, window_bits: int) -> bytes:
    """What a receiver of a per-message-deflate message inflates (RFC 7692 7.2.2)."""
    return zlib.decompressobj(wbits=-window_bits).decompress(data + b"\x00\x00\xff\xff")


@pytest.mark.parametrize("window_bits", [9, 12, 15])
def test_a_shared_compressed_body_after_each_socket_s_own_prefix_inflates_to_the_message(window_bits):
    from revgraph.web.ws_frames import deflated, stored_block

    # a text longer than the window, repeating itself (back-references)
    text = ('{"data":{"boardEvents":{"sequence":7,"title":"Casa ' + "ç" * 40 + '"}}}').encode() * 90
    heads = [b'{"id":"1","type":"next","payload":', b'{"id":"a-much-longer-id","type":"next","payload":']
    shared = deflated(text, b"}", window_bits)
    assert len(shared) < len(text) / 5
    for head in heads:
        assert _deflate(stored_block(head) + shared, window_bits) == head + text + b"}"
    # the same bytes object is compressed once; an equal but other one again
    assert deflated(text, b"}", window_bits) is shared
    assert deflated(bytes(bytearray(text)), b"}", window_bits) is not shared
    # a prefix longer than one stored block
    long_head = b"x" * 70_000
    assert _deflate(stored_block(long_head) + shared, window_bits) == long_head + text + b"}"


def _spy_writes(monkeypatch):
    """Every frame FrameWriter wrote straight to a socket, as (compressed,
    message), and how many times ws_frames compressed something."""
    from revgraph.web import ws_frames

    written: list[tuple[bool, bytes]] = []
    compressions: list[int] = []
    original = ws_frames.FrameWriter.write

    def spying_write(self, text):
        sent = original(self, text)
        if sent:
            written.append((self.compressed, self.head + text + self.tail))
        return sent

    def counting_compressobj(*args, **kwargs):
        compressions.append(1)
        return zlib.compressobj(*args, **kwargs)

    monkeypatch.setattr(ws_frames.FrameWriter, "write", spying_write)
    monkeypatch.setattr(
        ws_frames,
        "zlib",
        types.SimpleNamespace(compressobj=counting_compressobj, Z_SYNC_FLUSH=zlib.Z_SYNC_FLUSH),
    )
    return written, compressions


@contextlib.asynccontextmanager
async def _compressed_and_plain(server, token, variables):
    """Two sockets subscribed to the board, the first offering per-message
    deflate (as browsers do), the second not: their subscriptions."""
    async with (
        connect(server.ws_url, token) as compressed_socket,
        connect(server.ws_url, token, compression=None) as plain_socket,
    ):
        yield [
            await subscribe(compressed_socket, BOARD_EVENTS, variables),
            await subscribe(plain_socket, BOARD_EVENTS, variables),
        ]


async def _board_with_a_deal(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    since = (await board(gql, workspace.token, pipeline["id"]))["boardSequence"]
    stages = [pipeline["stage"]["Em contato"], pipeline["stage"]["Novo lead"]]
    return pipeline, deal, since, stages


async def test_plain_and_compressed_sockets_get_the_same_events_in_order_from_one_compression(
    gql, server, workspace, monkeypatch
):
    written, compressions = _spy_writes(monkeypatch)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with contextlib.AsyncExitStack() as stack:
        sockets, subscriptions = [], []
        for compression in ("deflate", None, "deflate", None):
            socket = await stack.enter_async_context(connect(server.ws_url, workspace.token, compression))
            sockets.append(socket)
            subscriptions.append(await subscribe(socket, BOARD_EVENTS, variables))
        # the server answered a deflate offer without context takeover, and
        # nothing to a client that offered none
        offered = [s.response.headers.get("Sec-WebSocket-Extensions") for s in sockets]
        assert "permessage-deflate" in offered[0] and "server_no_context_takeover" in offered[0]
        assert offered[1] is None and offered[3] is None
        await settled(pipeline["id"], subscribers=4)
        assert sorted(m.sink.writer.compressed for m in board_members(pipeline["id"])) == [0, 0, 1, 1]
        moves = [stages[i % 2] for i in range(4)]
        for stage in moves:
            await move(gql, workspace.token, dealId=deal["id"], stageId=stage)
        received = [[(await s.next())["data"]["boardEvents"] for _ in moves] for s in subscriptions]
        await asyncio.gather(*(s.nothing_for(0.3) for s in subscriptions))
    expected = list(range(since + 1, since + 1 + len(moves)))
    # every socket got every event once, in order, and the same payloads
    assert [[event["sequence"] for event in events] for events in received] == [expected] * 4
    assert received[1] == received[0] == received[2] == received[3]
    # all of them straight to the socket: two compressed and two plain per event,
    # the compressed ones from one compression per event
    assert sorted(compressed for compressed, _ in written) == [False] * 8 + [True] * 8
    assert len(compressions) == len(moves)


async def test_a_paused_compressed_socket_waits_in_order_and_does_not_hold_the_others(
    gql, server, workspace, monkeypatch
):
    """While a compressed socket's transport is paused its frames wait (the
    ASGI path, the library's own compression); the plain socket is served
    meanwhile; after the pause the shared compressed frames go on, and the
    client inflates both kinds on the same socket."""
    written, _ = _spy_writes(monkeypatch)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with _compressed_and_plain(server, workspace.token, variables) as (compressed, plain):
        await settled(pipeline["id"], subscribers=2)
        [paused] = [m for m in board_members(pipeline["id"]) if m.sink.writer.compressed]
        protocol = paused.sink.writer.protocol
        protocol.pause_writing()
        try:
            for stage in stages:
                await move(gql, workspace.token, dealId=deal["id"], stageId=stage)
            # the plain socket is not held by the paused one
            assert [(await plain.next())["data"]["boardEvents"]["sequence"] for _ in stages] == [
                since + 1,
                since + 2,
            ]
            await compressed.nothing_for(0.5)
        finally:
            protocol.resume_writing()
        waited = [(await compressed.next())["data"]["boardEvents"]["sequence"] for _ in stages]
        assert waited == [since + 1, since + 2]
        assert [c for c, _ in written] == [False, False]
        # and after it, straight to the socket again, compressed
        await move(gql, workspace.token, dealId=deal["id"], stageId=stages[0])
        assert (await compressed.next())["data"]["boardEvents"]["sequence"] == since + 3
        assert (await plain.next())["data"]["boardEvents"]["sequence"] == since + 3
    assert sorted(c for c, _ in written) == [False, False, False, True]


async def test_a_socket_that_closes_or_drops_leaves_the_hub_and_the_others_go_on(
    gql, server, workspace, monkeypatch
):
    written, _ = _spy_writes(monkeypatch)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with contextlib.AsyncExitStack() as stack:
        subscriptions = {}
        sockets = {}
        for name, compression in (("closes", "deflate"), ("drops", "deflate"), ("stays", "deflate")):
            socket = await stack.enter_async_context(connect(server.ws_url, workspace.token, compression))
            sockets[name] = socket
            subscriptions[name] = await subscribe(socket, BOARD_EVENTS, variables)
        await settled(pipeline["id"], subscribers=3)
        await move(gql, workspace.token, dealId=deal["id"], stageId=stages[0])
        for subscription in subscriptions.values():
            assert (await subscription.next())["data"]["boardEvents"]["sequence"] == since + 1
        # one closes cleanly, one drops its connection without a close frame
        await sockets["closes"].close()
        sockets["drops"].transport.abort()
        for _ in range(250):
            if len(board_members(pipeline["id"])) == 1:
                break
            await asyncio.sleep(0.02)
        assert len(board_members(pipeline["id"])) == 1
        for stage in stages[1:] + stages[:1]:
            await move(gql, workspace.token, dealId=deal["id"], stageId=stage)
        later = [(await subscriptions["stays"].next())["data"]["boardEvents"]["sequence"] for _ in range(2)]
        assert later == [since + 2, since + 3]
    # three frames for the first event, then one per event for the one left
    assert [c for c, _ in written] == [True] * 5


def _spy_socket_writes(monkeypatch):
    """Every write FrameWriter made to a socket's transport, as (writer, the
    sequences of the events in it): one write may carry several frames."""
    from revgraph.web import ws_frames

    writes: list[tuple[object, list[int]]] = []
    write, write_many = ws_frames.FrameWriter.write, getattr(ws_frames.FrameWriter, "write_many", None)

    def sequences(texts):
        return [json.loads(text)["data"]["boardEvents"]["sequence"] for text in texts]

    def spying_write(self, text):
        sent = write(self, text)
        if sent:
            writes.append((self, sequences([text])))
        return sent

    def spying_write_many(self, texts):
        sent = write_many(self, texts)
        if sent:
            writes.append((self, sequences(texts)))
        return sent

    monkeypatch.setattr(ws_frames.FrameWriter, "write", spying_write)
    if write_many is not None:
        monkeypatch.setattr(ws_frames.FrameWriter, "write_many", spying_write_many)
    return writes


def _written_to(writes, writer):
    return [sequences for w, sequences in writes if w is writer]


async def test_events_waiting_on_the_bus_go_to_each_socket_in_one_write(gql, server, workspace, monkeypatch):
    """While the hub is busy with one event, the next ones wait on the bus;
    then each socket gets them in one write (one send, not one per event),
    plain and compressed alike, every event once and in order."""
    from revgraph.resolvers import board_hub
    from revgraph.resolvers.board_hub import StreamHub

    writes = _spy_socket_writes(monkeypatch)
    gate = asyncio.Event()
    original = StreamHub._deliver

    async def busy_deliver(self, wire):
        await gate.wait()
        await asyncio.sleep(0.01)  # (the hub awaits per event: the next message is taken meanwhile)
        await original(self, wire)

    monkeypatch.setattr(StreamHub, "_deliver", busy_deliver)
    monkeypatch.setattr(board_hub, "HOLD_SECONDS", 10.0, raising=False)  # (a loaded machine's slow events)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with _compressed_and_plain(server, workspace.token, variables) as subscriptions:
        await settled(pipeline["id"], subscribers=2)
        writers = [m.sink.writer for m in board_members(pipeline["id"])]
        # four moves while the hub is held on the first
        for i in range(4):
            await move(gql, workspace.token, dealId=deal["id"], stageId=stages[i % 2])
        await asyncio.sleep(0.3)  # (every publish reached the hub's queue)
        gate.set()
        received = [
            [(await s.next())["data"]["boardEvents"]["sequence"] for _ in range(4)] for s in subscriptions
        ]
        await asyncio.gather(*(s.nothing_for(0.3) for s in subscriptions))
    expected = list(range(since + 1, since + 5))
    assert received == [expected, expected]
    # the first written on its own, the three that waited in one write per socket
    assert sorted(w.compressed for w in writers) == [0, 1]
    for writer in writers:
        assert _written_to(writes, writer) == [expected[:1], expected[1:]]


@pytest.mark.parametrize(("hold_events", "writes_after_the_first"), [(16, [[2, 3, 4]]), (2, [[2, 3], [4]])])
async def test_a_stretch_read_from_the_log_goes_to_each_socket_in_one_write(
    gql, server, workspace, monkeypatch, hold_events, writes_after_the_first
):
    """Messages the bus lost are read back from the log by the hub: what it
    reads comes together and goes to each socket in one write (at most
    HOLD_EVENTS events to a write)."""
    from revgraph.resolvers import board_hub

    monkeypatch.setattr(board_hub, "HOLD_EVENTS", hold_events, raising=False)

    writes = _spy_socket_writes(monkeypatch)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    lost = {since + 2, since + 3}
    original_step = board_hub.step

    def losing_step(stream, wire, last):
        if wire is not None and stream.sequence_of(wire) in lost:
            return "skip", None  # as if the bus had dropped it
        return original_step(stream, wire, last)

    monkeypatch.setattr(board_hub, "step", losing_step)
    monkeypatch.setattr(board_hub, "HOLD_SECONDS", 10.0, raising=False)  # (a loaded machine's slow reads)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with _compressed_and_plain(server, workspace.token, variables) as subscriptions:
        await settled(pipeline["id"], subscribers=2)
        writers = [m.sink.writer for m in board_members(pipeline["id"])]
        for i in range(4):
            await move(gql, workspace.token, dealId=deal["id"], stageId=stages[i % 2])
        received = [
            [(await s.next())["data"]["boardEvents"]["sequence"] for _ in range(4)] for s in subscriptions
        ]
        await asyncio.gather(*(s.nothing_for(0.3) for s in subscriptions))
    expected = list(range(since + 1, since + 5))
    assert received == [expected, expected]
    # the first live; the gap found at the fourth: the 2nd to 4th read from the log, held
    for writer in writers:
        assert _written_to(writes, writer) == [
            expected[:1],
            *([since + offset for offset in w] for w in writes_after_the_first),
        ]


async def test_a_burst_to_a_paused_socket_waits_in_order_and_the_others_get_it_in_one_write(
    gql, server, workspace, monkeypatch
):
    from revgraph.resolvers import board_hub
    from revgraph.resolvers.board_hub import StreamHub

    writes = _spy_socket_writes(monkeypatch)
    gate = asyncio.Event()
    original = StreamHub._deliver

    async def busy_deliver(self, wire):
        await gate.wait()
        await asyncio.sleep(0.01)
        await original(self, wire)

    monkeypatch.setattr(StreamHub, "_deliver", busy_deliver)
    monkeypatch.setattr(board_hub, "HOLD_SECONDS", 10.0, raising=False)  # (a loaded machine's slow events)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with (
        connect(server.ws_url, workspace.token) as paused_socket,
        connect(server.ws_url, workspace.token) as open_socket,
    ):
        paused = await subscribe(paused_socket, BOARD_EVENTS, variables, sub_id="paused")
        served = await subscribe(open_socket, BOARD_EVENTS, variables)
        await settled(pipeline["id"], subscribers=2)
        members = {m.sink.operation.id: m for m in board_members(pipeline["id"])}
        protocol = members["paused"].sink.writer.protocol
        for i in range(4):
            await move(gql, workspace.token, dealId=deal["id"], stageId=stages[i % 2])
        await asyncio.sleep(0.3)
        protocol.pause_writing()
        try:
            gate.set()
            expected = list(range(since + 1, since + 5))
            assert [(await served.next())["data"]["boardEvents"]["sequence"] for _ in expected] == expected
            await paused.nothing_for(0.5)
        finally:
            protocol.resume_writing()
        assert [(await paused.next())["data"]["boardEvents"]["sequence"] for _ in expected] == expected
        await paused.nothing_for(0.3)
        # after it, straight to the socket again
        await move(gql, workspace.token, dealId=deal["id"], stageId=stages[0])
        assert (await paused.next())["data"]["boardEvents"]["sequence"] == since + 5
        assert (await served.next())["data"]["boardEvents"]["sequence"] == since + 5
    # the open socket: the first alone, the three that waited in one write, then the next
    assert _written_to(writes, members["1"].sink.writer) == [expected[:1], expected[1:], [since + 5]]
    # the paused one: its four through the ASGI path, then straight to the socket again
    assert _written_to(writes, members["paused"].sink.writer) == [[since + 5]]


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 70_000])
def test_a_written_frame_parses_as_the_whole_text_message_at_every_length_boundary(size):
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    from revgraph.web.ws_frames import FrameWriter

    writer = FrameWriter({}, b'{"id":"1","type":"next","payload":', b"}")
    text = b"x" * max(0, size - writer.plain_size)
    reader = StreamReader()
    reader.feed_data(writer.frame(text))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    assert (frame.opcode, frame.fin, frame.data) == (Opcode.TEXT, True, writer.head + text + writer.tail)


async def test_a_lone_event_goes_to_the_socket_without_asking_the_sink_or_asyncio_s_write(
    gql, server, workspace, monkeypatch
):
    """Once per subscriber and event the hub writes through the sink alone
    (it is closed when its operation ends, so no `alive` first), and a frame
    the socket takes whole goes to its `send` directly, not through
    asyncio's `transport.write`: a bounded handful of Python-level calls,
    none of them to read the socket's state."""
    import sys

    from revgraph.resolvers import board_hub

    calls: list[tuple[bool, list[str]]] = []
    deliver_each = board_hub.deliver_each

    def profiled_each(members, *args):
        # the hub's loop over a group, profiled one member at a time
        for member in members:
            seen: list[str] = []

            def profile(frame, event, arg, seen=seen):
                if event == "call":
                    seen.append(frame.f_code.co_name)
                elif event == "c_call":
                    seen.append(getattr(arg, "__qualname__", str(arg)))

            sys.setprofile(profile)
            try:
                deliver_each((member,), *args)
            finally:
                sys.setprofile(None)
            # (without the loop's own entry)
            calls.append((member.sink.writer.compressed, [name for name in seen if name != "deliver_each"]))

    monkeypatch.setattr(board_hub, "deliver_each", profiled_each)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with _compressed_and_plain(server, workspace.token, variables) as (compressed, plain):
        await settled(pipeline["id"], subscribers=2)
        await move(gql, workspace.token, dealId=deal["id"], stageId=stages[0])
        assert (await compressed.next())["data"]["boardEvents"]["sequence"] == since + 1
        assert (await plain.next())["data"]["boardEvents"]["sequence"] == since + 1
    assert len(calls) == 2
    for _, seen in calls:
        assert "socket.send" in seen  # the frame went to the socket itself
        assert "alive" not in seen
        # the socket's state read without a call (Event.is_set, the
        # connection's `state` property, the transport's is_closing)
        assert not {"is_set", "state", "is_closing"} & set(seen), seen
        assert [name for name in seen if name == "write"] == ["write"]  # FrameWriter's, not asyncio's
        assert "deliver" not in seen  # no method call per member around the sink's
    # the plain socket's (the compressed one also compresses the event, once for all):
    # the writer's write (bound as the sink's send_now), len, pack, join, send,
    # and the profiler's own setprofile (7 with a send_now of the sink's own
    # around it; 8 with Member.deliver called per member; 12 when each check
    # of the socket's state was a call)
    [plain_calls] = [seen for compressed, seen in calls if not compressed]
    assert len(plain_calls) <= 6, " ".join(plain_calls)
    assert "send_now" not in plain_calls


def _spy_frames_written(monkeypatch):
    """The operation ids of the frames FrameWriter wrote straight to sockets."""
    from revgraph.web import ws_frames

    ids: list[str] = []
    original = ws_frames.FrameWriter.write

    def spying_write(self, text):
        sent = original(self, text)
        if sent:
            ids.append(json.loads(self.head + b"null}")["id"])
        return sent

    monkeypatch.setattr(ws_frames.FrameWriter, "write", spying_write)
    return ids


async def test_no_frame_for_an_operation_that_ended_or_was_revoked_even_while_still_in_the_hub(
    gql, server, workspace, monkeypatch
):
    """The hub does not ask a sink whether it is alive before each frame:
    the handler closes the sink the moment its operation is completed by
    the client or its credential is revoked, so a member that has not left
    the hub yet (here: never, leaving is disabled) writes nothing."""
    from revgraph.resolvers import board_hub

    monkeypatch.setattr(board_hub.StreamHub, "leave", lambda self, member: None)
    written = _spy_frames_written(monkeypatch)
    pipeline, deal, since, stages = await _board_with_a_deal(gql, workspace)
    variables = {"pipelineId": pipeline["id"], "since": since}
    async with (
        connect(server.ws_url, workspace.token) as completing,
        connect(server.ws_url, workspace.token) as revoked,
        connect(server.ws_url, workspace.token) as staying,
    ):
        ended = await subscribe(completing, BOARD_EVENTS, variables, sub_id="ends")
        await subscribe(completing, BOARD_EVENTS, variables, sub_id="goes-on")
        await subscribe(revoked, BOARD_EVENTS, variables, sub_id="revoked")
        stays = await subscribe(staying, BOARD_EVENTS, variables, sub_id="stays")
        await settled(pipeline["id"], subscribers=4)
        members = {m.sink.operation.id: m for m in board_members(pipeline["id"])}
        await completing.send(json.dumps({"id": "ends", "type": "complete"}))
        for _ in range(250):
            if (
                members["ends"].sink.operation.completed
                or "ends" not in members["ends"].sink.handler.operations
            ):
                break
            await asyncio.sleep(0.02)
        members["revoked"].sink.handler.credential_revoked()
        await move(gql, workspace.token, dealId=deal["id"], stageId=stages[0])
        assert (await stays.next())["data"]["boardEvents"]["sequence"] == since + 1
        goes_on = Subscription(completing, "goes-on")
        assert (await goes_on.next())["data"]["boardEvents"]["sequence"] == since + 1
        await ended.nothing_for(0.3)
        code, messages = await closed_with(revoked)
        assert code == 4403 and messages == []
    assert sorted(written) == ["goes-on", "stays"]


def _protocol_without_server(transport, extensions):
    """The server's websocket protocol (web/ws_frames.SharedDeflateProtocol)
    open on `transport`, in the state FrameWriter reads, without a server
    or a handshake: a websockets connection stand-in with `extensions`."""
    from websockets.protocol import State

    from revgraph.web.ws_frames import SharedDeflateProtocol

    protocol = SharedDeflateProtocol.__new__(SharedDeflateProtocol)
    protocol.frame_writers = []
    protocol.close_sent = protocol.disconnected = False
    protocol.writable = asyncio.Event()
    protocol.writable.set()
    protocol.conn = types.SimpleNamespace(state=State.OPEN, _state=State.OPEN, extensions=extensions)
    protocol.transport = transport
    return protocol


async def test_a_frame_sent_on_the_socket_itself_never_overtakes_bytes_the_transport_still_holds():
    """FrameWriter sends on asyncio's socket directly only while its
    transport holds nothing: behind buffered bytes a frame goes through
    `transport.write`, and the reader gets everything in order."""
    import socket

    from revgraph.web.ws_frames import SERVER_SEND, FrameWriter

    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    transport.set_write_buffer_limits(high=1 << 24)  # stays writable: the hub would write
    protocol = _protocol_without_server(transport, [])
    writer = FrameWriter({SERVER_SEND: protocol.send}, b"<", b">")
    try:
        assert writer.sock is not None
        assert writer.write(b"first") and transport.get_write_buffer_size() == 0
        transport.write(b"x" * 1_000_000)  # more than the socket takes: the rest is held
        assert transport.get_write_buffer_size() > 0
        # the reader takes some before the loop runs again: the socket has
        # room while the transport still holds the rest
        theirs.setblocking(False)
        received = bytearray(theirs.recv(1 << 16))
        assert writer.write(b"second")
        expected = writer.frame(b"first") + b"x" * 1_000_000 + writer.frame(b"second")
        while len(received) < len(expected):
            try:
                received += theirs.recv(1 << 16)
            except BlockingIOError:
                await asyncio.sleep(0.001)
        assert bytes(received) == expected
    finally:
        transport.close()
        theirs.close()


async def test_compressed_frames_written_to_two_sockets_inflate_to_each_message_at_every_header_size(
    monkeypatch,
):
    """A group's compressed sockets, one after the other, each write the
    event compressed once: the second finds it without compressing again,
    and each frame (headers of 2, 4 and 10 bytes) inflates to its own
    socket's message — also when another event came in between."""
    import os
    import socket

    from websockets.extensions.permessage_deflate import PerMessageDeflate

    from revgraph.web import ws_frames
    from revgraph.web.ws_frames import DEFLATE_WINDOW_BITS, SERVER_SEND, FrameWriter

    compressions: list[int] = []
    original = zlib.compressobj

    def counting_compressobj(*args, **kwargs):
        compressions.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(ws_frames.zlib, "compressobj", counting_compressobj)
    looked_up: list[int] = []
    original_deflated = ws_frames.deflated

    def counted_deflated(*args):
        looked_up.append(1)
        return original_deflated(*args)

    monkeypatch.setattr(ws_frames, "deflated", counted_deflated)
    loop = asyncio.get_running_loop()
    writers, readers, transports = [], [], []
    for op_id in ("1", "a-longer-operation-id"):
        ours, theirs = socket.socketpair()
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        transport.set_write_buffer_limits(high=1 << 24)
        extension = PerMessageDeflate(False, True, DEFLATE_WINDOW_BITS, DEFLATE_WINDOW_BITS)
        protocol = _protocol_without_server(transport, [extension])
        head = ('{"id":"' + op_id + '","type":"next","payload":').encode()
        writers.append(FrameWriter({SERVER_SEND: protocol.send}, head, b"}"))
        readers.append(theirs)
        transports.append(transport)
    # compressed sizes under 126, between 126 and 65,535, and above (random bytes do not shrink)
    texts = [b'{"a":1}', os.urandom(300), b"between", os.urandom(70_000)]  # "between": another event
    try:
        for text in texts:
            before = len(compressions)
            for writer in writers:
                looked_up.clear()
                assert writer.compressed and writer.write(text)
                # the first socket compresses; the next finds the same text just done
                assert len(looked_up) == (1 if writer is writers[0] else 0)
            assert len(compressions) - before == 1  # once for both sockets
        for writer, theirs in zip(writers, readers, strict=True):
            theirs.setblocking(False)
            received = bytearray()
            while True:
                try:
                    received += theirs.recv(1 << 20)
                except BlockingIOError:
                    if len(received) >= sum(len(t) for t in texts):
                        break
                    await asyncio.sleep(0.01)
            # RFC 6455 5.2 read by hand (websockets' parser refuses RSV1 without its extension)
            at = 0
            for text in texts:
                first, size = received[at], received[at + 1]
                assert first == 0xC1 and not size & 0x80  # FIN, RSV1, text; unmasked
                at += 2
                if size == 126:
                    size, at = int.from_bytes(received[at : at + 2]), at + 2
                elif size == 127:
                    size, at = int.from_bytes(received[at : at + 8]), at + 8
                data, at = bytes(received[at : at + size]), at + size
                assert _deflate(data, DEFLATE_WINDOW_BITS) == writer.head + text + writer.tail
            assert at == len(received)
    finally:
        for transport in transports:
            transport.close()
        for theirs in readers:
            theirs.close()
