"""What one subscriber costs the server per live board event, measured inside
the server: the CPU time (user + kernel, of the server's thread) of handing
one group's frame to each of its subscribers (board_hub.deliver_each),
through the ASGI path (Starlette's WebSocket, the middleware's send
wrappers, uvicorn's send, websockets' framing and, for a compressed socket,
its per-message deflate) and straight to the socket's transport
(web/ws_frames.py: for a compressed socket, the event compressed once for
every socket), in alternating blocks of events of the same run — so the
machine's load hits both alike and their ratio holds even on a shared
machine, where bench/fanout.py's whole-process CPU swings with it.

One process: `revgraph`'s app under uvicorn (as `serve` runs it: SERVER_OPTIONS)
on a fresh SQLite database, a board of 2 × 5 cards, N admin subscribers of
`boardEvents` (bench/fanout.py's selection set) held by one client process
(fanout_client.py, so the subscribers' reading is not in this process's
CPU), then --events moves, one every --spacing seconds, alternating blocks
of --block events between the two paths. --deflate F: that fraction of the
subscribers offers per-message deflate as a browser does (the rest do not),
and each path's cost is given for plain and compressed sockets apart. Every
subscriber must receive every event once, in order.

--burst B sends the moves B at a time (B deals at once) while the hub is
held (its _deliver waits on a gate until the B moves have returned), as when
events arrive while the hub is busy with another; --compare unbatched alternates, instead of the ASGI path and the
direct frame, the direct frame one write per event (the hub never holds a
burst: StreamHub._hold a no-op) and the direct frame with the frames of
events that arrive together held for one write per socket (board_hub.py).
The cost counted is then every deliver_each turn, .hold and .flush of a step
(B events), over the frames handed to subscribers in it.

--compare checked alternates the direct frame as it was before 7941931 (the
sink asked `alive()` before each frame, and the frame went through asyncio's
`transport.write`: the writers' socket unset) and as it is (the writer
closed when the operation ends, the frame sent on the socket itself while
the transport buffers nothing): the same Python calls as each version made.

--compare accessors alternates FrameWriter.write as it was at 7f51d69 (the
socket's state read through `Event.is_set`, the connection's `state` property
and the transport's `is_closing`: 11 Python-level calls per plain frame) and
as it is (the attributes behind them read directly: 7 calls).

    python bench/fanout_send.py [--subscribers 500] [--events 60] [--block 10] [--deflate 0.5]
    python bench/fanout_send.py --burst 5 --compare unbatched
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from board_common import MOVE_DEAL, Api, free_port, seed_board, seed_workspace
from fanout import BOARD_EVENTS
from fanout_client import read_json, write_json
from harness import database, machine, server_env, today

CLIENT = str(Path(__file__).with_name("fanout_client.py"))
COMPARISONS = {
    "asgi": ("asgi", "direct"),
    "unbatched": ("unbatched", "direct"),
    "checked": ("checked", "direct"),
    "accessors": ("accessors", "direct"),
}
KINDS = ("plain", "compressed")  # by FrameWriter.compressed


def accessors_write() -> Any:
    """web/ws_frames.FrameWriter.write as at 7f51d69 (--compare accessors),
    with the module's names bound once, not imported per call."""
    from revgraph.web.ws_frames import _SHORT, DEFLATED_TEXT, OPEN, deflated, frame_header

    def write_through_accessors(self: Any, text: bytes) -> bool:
        protocol = self.protocol
        if (
            protocol is None
            or protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.conn.state is not OPEN
        ):
            return False
        transport = self.transport
        if transport.is_closing():
            return False
        if self.window_bits:
            shared = deflated(text, self.tail, self.window_bits)
            size = len(self.deflated_head) + len(shared)
            frame = b"".join((frame_header(size, DEFLATED_TEXT), self.deflated_head, shared))
        else:
            size = self.plain_size + len(text)
            header = _SHORT(0x81, 126, size) if 126 <= size < 65536 else frame_header(size)
            frame = b"".join((header, self.head, text, self.tail))
        sock = self.sock
        if sock is not None and not transport._buffer and not transport._conn_lost:
            try:
                sent = sock.send(frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except Exception:
                transport.write(frame)
                return True
            if sent == len(frame):
                return True
            frame = frame[sent:]
        transport.write(frame)
        return True

    return write_through_accessors


def clock_overhead() -> float:
    """Seconds two back-to-back thread_time() reads cost (subtracted per call)."""
    reads = []
    for _ in range(2000):
        start = time.thread_time()
        reads.append(time.thread_time() - start)
    return statistics.median(reads)


async def run(args: argparse.Namespace) -> None:
    import uvicorn

    from revgraph.resolvers import board_hub
    from revgraph.resolvers.board_hub import hubs
    from revgraph.resolvers.database import open_database
    from revgraph.resolvers.ids import pk_of
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app
    from revgraph.web.cli import SERVER_OPTIONS
    from revgraph.web.graphql_view import OperationSink
    from revgraph.web.ws_frames import FrameWriter

    write_through_accessors = accessors_write()

    print(f"live fan-out per subscriber, in-server — {today()}, {machine()}", flush=True)
    async with database("sqlite") as url:
        os.environ.update(server_env(url))
        settings = Settings.from_env()
        await open_database(settings, migrate=True)
        app = create_app(settings, migrate=False)
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", loop="none", **SERVER_OPTIONS
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn only offers the flag)
            await asyncio.sleep(0.02)
        api = Api.__new__(Api)
        api.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
        folder = Path(tempfile.mkdtemp(prefix="revgraph-fanout-send-"))
        client = None
        try:
            workspace = await seed_workspace(api, agents=1)
            board = await seed_board(api, workspace, stages=2, cards_per_stage=5)
            pipeline_pk = pk_of(board.pipeline_id, "Pipeline")
            admin = workspace.admin
            query = "query($id: ID!) { pipeline(id: $id) { boardSequence } }"
            since = (await api.ok(query, {"id": board.pipeline_id}, admin.token))["pipeline"]["boardSequence"]
            warm = 3
            measured = args.events // args.burst // args.block * args.block * args.burst
            sequences = list(range(since + 1, since + warm + measured + 1))
            compressed = round(args.subscribers * args.deflate)
            spec = {
                "ws_url": f"ws://127.0.0.1:{port}/graphql",
                "token": admin.token,
                "role": "ADMIN",
                "user": admin.id,
                "document": BOARD_EVENTS,
                "field": "boardEvents",
                "expected": sequences,
            }
            write_json(
                folder / "client.json",
                {
                    "variables": {"pipelineId": board.pipeline_id, "since": since},
                    "warm_until": since + warm,
                    "timeout": 120,
                    "out": str(folder / "receipts.json"),
                    "subscribers": [
                        {**spec, "deflate": index < compressed} for index in range(args.subscribers)
                    ],
                },
            )
            client = await asyncio.create_subprocess_exec(
                sys.executable, CLIENT, str(folder / "client.json"), stdout=asyncio.subprocess.PIPE
            )
            assert client.stdout is not None
            line = (await asyncio.wait_for(client.stdout.readline(), 300)).decode().strip()
            assert line == "READY", line
            # (a subscription is acknowledged before its resolver joins the hub)
            while (  # noqa: ASYNC110
                sum(len(g.members) for h in hubs.hubs.values() for g in h.groups.values()) < args.subscribers
            ):
                await asyncio.sleep(0.05)
            deals = list(board.deals)

            async def move(index: int) -> None:
                stage = board.stage_ids[index % len(board.stage_ids)]
                deal = deals[index % len(deals)]
                await api.ok(MOVE_DEAL, {"input": {"dealId": deal, "stageId": stage}}, admin.token)

            for index in range(warm):
                await move(index)
                await asyncio.sleep(args.spacing)
            line = (await asyncio.wait_for(client.stdout.readline(), 120)).decode().strip()
            assert line == "WARM", line

            # The measured part: the thread CPU of every member's turn in the
            # hub's loop (board_hub.deliver_each), Member.deliver, .hold and
            # .flush (the outermost call: a flush may deliver), by
            # path and by kind of socket (plain, compressed), over the frames
            # handed to subscribers (deliver and hold calls) per step.
            PATHS = COMPARISONS[args.compare]
            overhead = clock_overhead()
            spent: dict[tuple[str, str], list[float]] = {(p, k): [] for p in PATHS for k in KINDS}
            per_event: dict[tuple[str, str], list[float]] = {(p, k): [] for p in PATHS for k in KINDS}
            current: dict[str, Any] = {"path": PATHS[0], "sums": {}, "depth": 0}
            originals = {name: getattr(board_hub.Member, name) for name in ("deliver", "hold", "flush")}
            original_each = board_hub.deliver_each
            # (a method before h-fanout2; since, a slot holding the writer's write)
            original_now = OperationSink.send_now
            original_hold = board_hub.StreamHub._hold
            original_hub_deliver = board_hub.StreamHub._deliver
            gate = asyncio.Event()
            gate.set()

            async def gated_deliver(self: Any, wire: Any) -> None:
                await gate.wait()
                await original_hub_deliver(self, wire)

            def timed(original: Any, frames: int) -> Any:
                def timed_call(self: Any, *args: Any) -> None:
                    if current["depth"]:
                        original(self, *args)
                        return
                    current["depth"] = 1
                    start = time.thread_time()
                    try:
                        original(self, *args)
                    finally:
                        current["depth"] = 0
                    spent_here = time.thread_time() - start - overhead
                    kind = KINDS[self.sink.writer.compressed]
                    total, calls = current["sums"].get(kind, (0.0, 0))
                    current["sums"][kind] = (total + spent_here, calls + frames)

                return timed_call

            def send_now(self: Any, payload: bytes) -> bool:
                path = current["path"]
                if path == "checked":  # (as before 7941931: alive() first)
                    return self.alive() and self.writer.write(payload)
                return path != "asgi" and self.writer.write(payload)

            sockets = {}  # writer -> its socket, unset while "checked"

            def set_path(path: str) -> None:
                current["path"] = path
                for hub in hubs.hubs.values():
                    for group in hub.groups.values():
                        for member in group.members:
                            # (bound at join: take the sink's send_now as patched now)
                            member.send_now = member.sink.send_now
                            writer = member.sink.writer
                            sockets.setdefault(writer, getattr(writer, "sock", None))
                            if hasattr(writer, "sock"):
                                writer.sock = None if path == "checked" else sockets[writer]

            def hold(self: Any) -> None:
                if current["path"] != "unbatched":
                    original_hold(self)

            # socket writes and the frames in them, by path
            writes: dict[str, list[int]] = {p: [0, 0] for p in PATHS}
            original_write, original_write_many = FrameWriter.write, FrameWriter.write_many

            def counted_write(self: Any, text: bytes) -> bool:
                if current["path"] == "accessors":
                    sent = write_through_accessors(self, text)
                else:
                    sent = original_write(self, text)
                if sent:
                    writes[current["path"]][0] += 1
                    writes[current["path"]][1] += 1
                return sent

            def counted_write_many(self: Any, texts: list[bytes]) -> bool:
                sent = original_write_many(self, texts)
                if sent:
                    writes[current["path"]][0] += 1
                    writes[current["path"]][1] += len(texts)
                return sent

            def each_timed(members: Any, payload: str, encoded: bytes, sequence: int) -> None:
                # the hub's loop over a group, timed member by member (by kind)
                for member in members:
                    timed_each(member, payload, encoded, sequence)

            def one(member: Any, payload: str, encoded: bytes, sequence: int) -> None:
                original_each((member,), payload, encoded, sequence)

            timed_each = timed(one, 1)
            FrameWriter.write = counted_write  # type: ignore[method-assign]
            FrameWriter.write_many = counted_write_many  # type: ignore[method-assign]
            for name, original in originals.items():
                setattr(board_hub.Member, name, timed(original, 0 if name == "flush" else 1))
            board_hub.deliver_each = each_timed
            OperationSink.send_now = send_now  # type: ignore[method-assign]
            board_hub.StreamHub._hold = hold  # type: ignore[method-assign]
            board_hub.StreamHub._deliver = gated_deliver  # type: ignore[method-assign]
            try:
                index = warm
                steps = args.events // args.burst
                for block in range(steps // args.block):
                    set_path(PATHS[block % 2])
                    for _ in range(args.block):
                        current["sums"] = {}
                        if args.burst > 1:
                            gate.clear()  # the hub is busy while the B moves commit
                        await asyncio.gather(*(move(index + i) for i in range(args.burst)))
                        await asyncio.sleep(0.02)
                        gate.set()
                        index += args.burst
                        await asyncio.sleep(args.spacing)
                        # (a loaded machine: the step's events all handed over
                        # before the next step, so no step counts another's)
                        for _ in range(500):
                            # (the board's hub, by its pipeline's pk: the process may hold others)
                            key = next((k for k in hubs.hubs if k[1] == pipeline_pk), None)
                            if key is None:
                                raise RuntimeError("the board's hub is gone: its subscribers left mid-run")
                            hub = hubs.hubs[key]
                            if hub.last >= since + index and not hub.holding:
                                break
                            await asyncio.sleep(0.02)
                        for kind, (total, calls) in current["sums"].items():
                            spent[current["path"], kind].append(total / calls)
                            per_event[current["path"], kind].append(calls / args.burst)
            finally:
                set_path("direct")  # every writer's socket back
                FrameWriter.write = original_write  # type: ignore[method-assign]
                FrameWriter.write_many = original_write_many  # type: ignore[method-assign]
                for name, original in originals.items():
                    setattr(board_hub.Member, name, original)
                board_hub.deliver_each = original_each
                OperationSink.send_now = original_now  # type: ignore[method-assign]
                set_path("direct")  # members' send_now bound to the original again
                board_hub.StreamHub._hold = original_hold  # type: ignore[method-assign]
                board_hub.StreamHub._deliver = original_hub_deliver  # type: ignore[method-assign]
            line = (await asyncio.wait_for(client.stdout.readline(), 180)).decode().strip()
            await client.wait()
            receipts = read_json(folder / "receipts.json")
            wrong = [
                i
                for i, got in enumerate(receipts["receipts"])
                if [r[0] for r in got] != sequences[: len(got)] or len(got) != len(sequences)
            ]
            print(
                f"  {args.subscribers} subscribers, {measured} measured events in blocks of {args.block} "
                f"steps of {args.burst} event(s); "
                f"client said {line}; subscribers missing, repeating or reordering an event: {len(wrong)}"
                f"{' ' + str(receipts['failures'][:3]) if receipts['failures'] else ''}"
            )
            medians = {}
            for (path, kind), values in spent.items():
                if not values:
                    continue
                medians[path, kind] = statistics.median(values)
                print(
                    f"  {path:9} {kind:10}: median {medians[path, kind] * 1e6:.2f} µs per subscriber per event "
                    f"(min {min(values) * 1e6:.2f}, max {max(values) * 1e6:.2f}; {len(values)} steps of "
                    f"{args.burst}, "
                    f"{statistics.median(per_event[path, kind]):.0f} subscribers each)"
                )
            for path, (count, frames) in writes.items():
                if frames:
                    print(f"  {path}: {frames} frames straight to the socket in {count} writes")
            for kind in KINDS:
                if (PATHS[0], kind) in medians and ("direct", kind) in medians:
                    ratio = medians[PATHS[0], kind] / medians["direct", kind]
                    print(f"  {kind}: {PATHS[0]} ÷ direct {ratio:.2f}×")
            if ("direct", "plain") in medians and ("direct", "compressed") in medians:
                ratio = medians["direct", "compressed"] / medians["direct", "plain"]
                print(f"  direct: compressed ÷ plain {ratio:.2f}×")
            print(f"  load average {os.getloadavg()[0]:.2f}", flush=True)
        finally:
            if client is not None and client.returncode is None:
                client.kill()
                await client.wait()
            await api.aclose()
            server.should_exit = True
            await asyncio.wait_for(serving, 60)  # its lifespan closes the database


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="live fan-out CPU per subscriber, in-server")
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--spacing", type=float, default=0.3, help="seconds between moves")
    parser.add_argument(
        "--deflate", type=float, default=0.5, help="the fraction of subscribers offering per-message deflate"
    )
    parser.add_argument("--burst", type=int, default=1, help="moves sent at once per step (different deals)")
    parser.add_argument(
        "--compare",
        choices=sorted(COMPARISONS),
        default="asgi",
        help="asgi: the ASGI path against the direct frame; unbatched: one write per event against bursts "
        "held; checked: the direct frame before 7941931; accessors: FrameWriter.write at 7f51d69",
    )
    asyncio.run(run(parser.parse_args()))
