"""What one subscriber costs the server per live board event, measured inside
the server: the CPU time (user + kernel, of the server's thread) of handing
one group's frame to each of its subscribers (board_hub.Member.deliver),
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

    python bench/fanout_send.py [--subscribers 500] [--events 60] [--block 10] [--deflate 0.5]
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
PATHS = ("asgi", "direct")
KINDS = ("plain", "compressed")  # by FrameWriter.compressed


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
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app
    from revgraph.web.cli import SERVER_OPTIONS
    from revgraph.web.graphql_view import OperationSink

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
            admin = workspace.admin
            query = "query($id: ID!) { pipeline(id: $id) { boardSequence } }"
            since = (await api.ok(query, {"id": board.pipeline_id}, admin.token))["pipeline"]["boardSequence"]
            warm = 3
            sequences = list(range(since + 1, since + warm + args.events + 1))
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

            # The measured part: each Member.deliver call's thread CPU, by
            # path and by kind of socket (plain, compressed).
            overhead = clock_overhead()
            spent: dict[tuple[str, str], list[float]] = {(p, k): [] for p in PATHS for k in KINDS}
            per_event: dict[tuple[str, str], list[int]] = {(p, k): [] for p in PATHS for k in KINDS}
            current: dict[str, Any] = {"path": PATHS[0], "sums": {}}
            original_deliver = board_hub.Member.deliver
            original_now = OperationSink.send_now

            def timed_deliver(self: Any, payload: str, encoded: bytes, sequence: int) -> None:
                start = time.thread_time()
                original_deliver(self, payload, encoded, sequence)
                spent_here = time.thread_time() - start - overhead
                kind = KINDS[self.sink.writer.compressed]
                total, calls = current["sums"].get(kind, (0.0, 0))
                current["sums"][kind] = (total + spent_here, calls + 1)

            def send_now(self: Any, payload: bytes) -> bool:
                return current["path"] == "direct" and original_now(self, payload)

            board_hub.Member.deliver = timed_deliver  # type: ignore[method-assign]
            OperationSink.send_now = send_now  # type: ignore[method-assign]
            try:
                index = warm
                for block in range(args.events // args.block):
                    current["path"] = PATHS[block % 2]
                    for _ in range(args.block):
                        current["sums"] = {}
                        await move(index)
                        index += 1
                        await asyncio.sleep(args.spacing)
                        for kind, (total, calls) in current["sums"].items():
                            spent[current["path"], kind].append(total / calls)
                            per_event[current["path"], kind].append(calls)
            finally:
                board_hub.Member.deliver = original_deliver  # type: ignore[method-assign]
                OperationSink.send_now = original_now  # type: ignore[method-assign]
            line = (await asyncio.wait_for(client.stdout.readline(), 180)).decode().strip()
            await client.wait()
            receipts = read_json(folder / "receipts.json")
            wrong = [
                i
                for i, got in enumerate(receipts["receipts"])
                if [r[0] for r in got] != sequences[: len(got)] or len(got) != len(sequences)
            ]
            print(
                f"  {args.subscribers} subscribers, {args.events} measured events in blocks of {args.block}; "
                f"client said {line}; subscribers missing, repeating or reordering an event: {len(wrong)}"
                f"{' ' + str(receipts['failures'][:3]) if receipts['failures'] else ''}"
            )
            medians = {}
            for (path, kind), values in spent.items():
                if not values:
                    continue
                medians[path, kind] = statistics.median(values)
                print(
                    f"  {path:6} {kind:10}: median {medians[path, kind] * 1e6:.2f} µs per subscriber per event "
                    f"(min {min(values) * 1e6:.2f}, max {max(values) * 1e6:.2f}; {len(values)} events, "
                    f"{statistics.median(per_event[path, kind]):.0f} subscribers each)"
                )
            for kind in KINDS:
                if ("asgi", kind) in medians and ("direct", kind) in medians:
                    ratio = medians["asgi", kind] / medians["direct", kind]
                    print(f"  {kind}: asgi ÷ direct {ratio:.2f}×")
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
    asyncio.run(run(parser.parse_args()))
