"""The Python cost of handing one live event to one subscriber, as CPU
instructions (repeatable on a shared machine, unlike time): the hub's loop
over a group's members (board_hub.deliver_each; Member.deliver in checkouts
before it), the sink's send_now, web/ws_frames.FrameWriter.write and
asyncio's transport.write, down to the socket send (whose kernel side
valgrind does not count: see fanout_send.py for the whole).

N members, each with its own real asyncio transport over a Unix socket pair
(nobody reads: the frames fit in its buffer) and a stand-in for uvicorn's
websocket protocol in the state FrameWriter checks, all in one group; the
same 700-byte payload is delivered E1 times in one process and E2 times in
another, each whole run counted by `valgrind --tool=callgrind`
(PYTHONHASHSEED=0, the collector off); instructions per subscriber per event = the difference
over (E2 - E1) × N, so start-up and set-up cancel out.

    python bench/fanout_instructions.py [--members 200] [--events 5 25] [--deflate]

--time prints instead the median thread CPU per subscriber per event of
7 deliveries of E2 events (kernel send included; for builds alternated in
one session, never as an absolute figure).

--calls counts instead, without valgrind (seconds, not minutes), the
Python-level calls (functions, and C functions called from Python: the
socket's send among them) made per subscriber per event over the same
delivery, by name: what the hot path goes through between the hub's loop
and the kernel.

    python bench/fanout_instructions.py --calls [--members 200] [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def inner(args: argparse.Namespace) -> None:
    """Runs under callgrind: builds the members, delivers the events."""
    from websockets.extensions.permessage_deflate import PerMessageDeflate
    from websockets.protocol import State

    from revgraph.resolvers import board_hub
    from revgraph.web.graphql_view import OperationSink
    from revgraph.web.ws_frames import DEFLATE_WINDOW_BITS, SERVER_SEND, FrameWriter, SharedDeflateProtocol

    class Conn:
        state = _state = State.OPEN

        def __init__(self) -> None:
            self.extensions = (
                [PerMessageDeflate(False, True, DEFLATE_WINDOW_BITS, DEFLATE_WINDOW_BITS)]
                if args.deflate
                else []
            )

    class Operation:
        completed = False
        id = "1"

    class Handler:
        revoked = False

        def __init__(self, operation: Operation) -> None:
            self.operations = {operation.id: operation}

    class Sink(OperationSink):
        """OperationSink (web/graphql_view.py), its own methods, without its socket."""

        variables = None

        def __init__(self, writer: Any) -> None:
            self.operation = Operation()
            self.handler = Handler(self.operation)
            self.writer = writer
            if "send_now" in getattr(OperationSink, "__slots__", ()):
                self.send_now = writer.write  # as OperationSink binds it (h-fanout2 on)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        hub = board_hub.StreamHub.__new__(board_hub.StreamHub)
        hub.groups = {}
        hub.senders = set()
        hub.holding = False
        hub.holders = []
        group = board_hub.Group("key", None, None, None)  # type: ignore[arg-type]
        keep = []
        for _ in range(args.members):
            ours, theirs = socket.socketpair()
            theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            keep.append(theirs)
            # the server's protocol as `revgraph serve` runs it, without a server
            # (frame_writers: where a checkout from h-fanout2 on keeps its writers)
            protocol = SharedDeflateProtocol.__new__(SharedDeflateProtocol)
            protocol.frame_writers = []
            protocol.close_sent = False
            protocol.disconnected = False
            protocol.writable = asyncio.Event()
            protocol.writable.set()
            protocol.conn = Conn()
            transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
            protocol.transport = transport
            scope = {SERVER_SEND: protocol.send}
            writer = FrameWriter(scope, b'{"id":"1","type":"next","payload":', b"}")
            member = board_hub.Member(hub, group, Sink(writer), 0, loop.create_future())
            group.members[member] = None
        payload = '{"data":{"boardEvents":{"sequence":1,"title":"' + "x" * 620 + '"}}}'

        # The hub's loop over a group (StreamHub._deliver): board_hub.deliver_each
        # where it exists; a checkout from before it had the loop inline.
        each = getattr(board_hub, "deliver_each", None)

        def deliver(events: int) -> None:
            for sequence in range(1, events + 1):
                encoded = payload.encode()
                if each is not None:
                    each(list(group.members), payload, encoded, sequence)
                    continue
                send = board_hub.Member.deliver
                for member in list(group.members):
                    if member.start_after < sequence:
                        send(member, payload, encoded, sequence)

        deliver(2)  # warm
        if args.calls:
            count_calls(deliver, args.events[-1], args.members)
            return
        if args.time:
            time_deliveries(deliver, args.events[-1], args.members)
            return
        # The collector off while counting: the two builds hold different
        # numbers of objects, so a pass falls at a different point in each
        # (one in a run of 25 events read as 15,000 instructions more per
        # subscriber); the delivery itself leaves no cycles to collect.
        gc.collect()
        gc.disable()
        deliver(args.events[0])

    asyncio.run(main())


def time_deliveries(deliver: Any, events: int, members: int, repeats: int = 7) -> None:
    """Prints the median thread CPU (user + kernel: the Unix socket's send
    included) of `deliver(events)` over `repeats`, per subscriber per event.
    Absolute times are the machine's load: compare builds in alternated
    processes (the section of bench/READS.md that used it says how)."""
    import statistics
    import time

    spent = []
    for _ in range(repeats):
        start = time.thread_time()
        deliver(events)
        spent.append(time.thread_time() - start)
    print(f"{statistics.median(spent) / (events * members) * 1e6:.3f}")


def count_calls(deliver: Any, events: int, members: int) -> None:
    """Prints the Python-level calls of `deliver(events)` per subscriber per event."""
    from collections import Counter

    calls: Counter[str] = Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            calls[f"{frame.f_code.co_name} ({Path(frame.f_code.co_filename).name})"] += 1
        elif event == "c_call":
            calls[f"{getattr(arg, '__qualname__', arg)} (C)"] += 1

    sys.setprofile(profile)
    try:
        deliver(events)
    finally:
        sys.setprofile(None)
    per = members * events
    total = sum(calls.values())
    print(
        f"  {total / per:.2f} Python-level calls per subscriber per event ({members} members, {events} events):"
    )
    for name, count in calls.most_common():
        if count >= per:
            print(f"    {count / per:5.2f}  {name}")


def measure(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="revgraph-fanout-instr-"))
    totals = []
    for index, events in enumerate(args.events):
        out = folder / f"callgrind.{index}"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(HERE),
            "--inner",
            "--members",
            str(args.members),
            "--events",
            str(events),
            *(["--deflate"] if args.deflate else []),
        ]
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        summary = subprocess.run(
            ["callgrind_annotate", "--threshold=100", str(out)], check=True, capture_output=True, text=True
        ).stdout
        match = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", summary) or re.search(
            r"([\d,]+)\s+PROGRAM TOTALS", summary
        )
        assert match, summary[:2000]
        totals.append(int(match.group(1).replace(",", "")))
    (e1, e2), (t1, t2) = args.events, totals
    per = (t2 - t1) / ((e2 - e1) * args.members)
    kind = "compressed" if args.deflate else "plain"
    print(
        f"  {args.members} {kind} members, {e1} and {e2} events: {t1:,} and {t2:,} instructions; "
        f"{per:,.0f} instructions per subscriber per event",
        flush=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Python instructions per subscriber per live event")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--events", type=int, nargs="+", default=[5, 25])
    parser.add_argument("--deflate", action="store_true", help="members on per-message-deflate sockets")
    parser.add_argument("--calls", action="store_true", help="count Python-level calls instead (no valgrind)")
    parser.add_argument(
        "--time",
        action="store_true",
        help="print thread CPU µs per subscriber per event instead (no valgrind)",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.inner or parsed.calls or parsed.time:
        inner(parsed)
    else:
        measure(parsed)
