"""What a server holding many websocket subscribers costs while nothing
happens, split by cause (issue 15: the idle share of live fan-out).

An open graphql-transport-ws subscriber has two timers on the server:
uvicorn's keep-alive ping (`ws_ping_interval_seconds`, 20 s) and the
presence check (`ws_presence_interval_seconds`, 60 s: the token checked
again, the user's presence refreshed). For each build (this checkout, and
`--baseline REF`: a `git archive` first on PYTHONPATH, bench/reads.py's
way) and each mode, one server (bench/fanout_idle_server.py, PostgreSQL +
Redis) gets `--sockets` subscribers of one pipeline's boardEvents sharing
`--tokens` tokens (fanout.py's admins share one), and its CPU is read from
/proc over `--window` seconds:

    quiet     no pings, no presence checks: whatever else idles
    pings     pings every `--interval` s only
    presence  presence checks every `--interval` s only

Builds alternate within each round. Printed: CPU ms/s per mode, each
timer's cost per socket and firing (its mode minus quiet), and what that
makes at each build's defaults (pings every 20 s before the setting, its
default after) for 2,500 sockets per server (fanout.py's 5,000 over two
servers). The presence check's cost is per socket at the baseline; now one
batch per process checks every token it holds (one statement per 500),
so it is near nothing per socket whether the sockets share a token or not.

    cd bench && python fanout_idle.py --sockets 1000 --baseline 7f51d69
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from board_common import (
    REDIS_URL,
    Api,
    Server,
    cpu_seconds,
    database,
    drop_redis_prefix,
    free_port,
    machine,
    redis_prefix,
    seed_board,
    seed_workspace,
    server_env,
    stop_server,
    today,
    wait_healthy,
)
from fanout_client import Subscriber

BENCH = Path(__file__).resolve().parent
DATABASE = os.environ.get("REVGRAPH_BENCH_BOARD_DB", "revgraph_bench_idle")
SUBSCRIPTION = "subscription($p: ID!) { boardEvents(pipelineId: $p) { sequence kind dealId at } }"
NEVER = 10**6
# uvicorn's ping interval (what a baseline before the setting ran with),
# the presence interval, and fanout.py's sockets per server at 5,000.
UVICORN_PING, DEFAULT_PRESENCE, PER_SERVER = 20.0, 60.0, 2500


def default_ping(pythonpath: str | None) -> float:
    """The ping interval `revgraph serve` of this build runs with."""
    if pythonpath is not None:
        return UVICORN_PING  # (a baseline from before the setting)
    from revgraph.resolvers.settings import Limits

    return getattr(Limits, "ws_ping_interval_seconds", UVICORN_PING)


def baseline_path(ref: str) -> Path:
    """A `git archive` of `ref` laid out as an importable `revgraph` package
    (bench/reads.py's way, same folder)."""
    sha = subprocess.run(
        ["git", "rev-parse", ref], cwd=BENCH.parent, capture_output=True, text=True, check=True
    )
    folder = BENCH / "results" / "baseline" / sha.stdout.strip()[:12]
    package = folder / "revgraph"
    if not package.exists():
        package.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref], cwd=BENCH.parent, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(package)], input=archive.stdout, check=True)
    return folder


def spawn(env: dict[str, str], pythonpath: str | None, ping: float, presence: float) -> Server:
    import tempfile

    port = free_port()
    env = {**env, "FANOUT_IDLE_PING": str(ping), "FANOUT_IDLE_PRESENCE": str(presence)}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    log = tempfile.TemporaryFile(mode="w+")
    argv = [sys.executable, str(BENCH / "fanout_idle_server.py"), str(port)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    server = Server(process, port, log)
    wait_healthy(server, 120)
    return server


async def open_sockets(server: Server, tokens: list[str], count: int, pipeline: str) -> list[Subscriber]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(25)
    sink: dict[str, Any] = {"receipts": [], "failures": [], "progress": asyncio.Event()}
    opened: list[Subscriber] = []

    async def one(index: int) -> None:
        spec = {
            "ws_url": server.ws_url,
            "token": tokens[index % len(tokens)],
            "user": index,
            "document": SUBSCRIPTION,
            "field": "boardEvents",
        }
        async with gate:
            _, protocol = await loop.create_connection(
                lambda: Subscriber(spec, {"p": pipeline}, sink), "127.0.0.1", server.port
            )
            opened.append(protocol)
            await asyncio.wait_for(protocol.subscribed, 60)

    await asyncio.gather(*(one(i) for i in range(count)))
    if sink["failures"]:
        raise RuntimeError(sink["failures"][:3])
    return opened


async def one_server(
    env: dict[str, str], pythonpath: str | None, mode: str, args: argparse.Namespace, seeded: Any
) -> float:
    """The server's CPU ms per second over the window, in `mode`."""
    ping = args.interval if mode == "pings" else 0
    presence = args.interval if mode == "presence" else NEVER
    server = spawn(env, pythonpath, ping, presence)
    sockets: list[Subscriber] = []
    try:
        tokens, pipeline = seeded
        sockets = await open_sockets(server, tokens, args.sockets, pipeline)
        # Every timer armed, and the sockets' phases spread as they opened.
        await asyncio.sleep(args.interval + 1)
        start, began = cpu_seconds(server.pid), time.perf_counter()
        await asyncio.sleep(args.window)
        rate = (cpu_seconds(server.pid) - start) / (time.perf_counter() - began)
        failures = [s for s in sockets if s.transport.is_closing()]
        if failures:
            raise RuntimeError(f"{len(failures)} sockets closed during the window ({mode})")
        return rate * 1e3
    finally:
        for socket in sockets:
            socket.close()
        await asyncio.sleep(0.5)
        stop_server(server)


async def driver(args: argparse.Namespace) -> None:
    print(f"fan-out idle CPU — {today()}, {machine()}, load {os.getloadavg()[0]:.2f}", flush=True)
    builds: list[tuple[str, str | None]] = [("branch", None)]
    if args.baseline:
        builds.append((f"baseline {args.baseline}", str(baseline_path(args.baseline))))
    prefix = redis_prefix()
    results: dict[tuple[str, str], list[float]] = {}
    try:
        async with database("postgres", name=DATABASE) as url:
            env = server_env(url, redis_prefix=prefix, redis_url=REDIS_URL)
            # The branch's server migrates the fresh database and seeds it.
            first = spawn(env, None, 0, NEVER)
            api = Api(first)
            try:
                workspace = await seed_workspace(api, agents=args.tokens - 1)
                board = await seed_board(api, workspace, stages=2, cards_per_stage=2)
            finally:
                await api.aclose()
                stop_server(first)
            seeded = ([p.token for p in workspace.owners], board.pipeline_id)
            for round_ in range(args.rounds):
                order = builds if round_ % 2 == 0 else builds[::-1]
                for mode in args.modes:
                    for name, path in order:
                        rate = await one_server(env, path, mode, args, seeded)
                        results.setdefault((name, mode), []).append(rate)
                        print(
                            f"  round {round_ + 1} {name:>20} {mode:>8}: {rate:7.1f} ms/s "
                            f"(load {os.getloadavg()[0]:.2f})",
                            flush=True,
                        )
    finally:
        await drop_redis_prefix(prefix)
    print(
        f"\n{args.sockets} sockets over {args.tokens} token(s), timers every {args.interval} s, "
        f"window {args.window} s; median of {args.rounds} round(s):"
    )
    print(
        "| build | quiet ms/s | pings ms/s | presence ms/s | µs per ping | presence µs per socket and interval "
        f"| at the defaults, {PER_SERVER} sockets: pings + presence ms/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, path in builds:
        every = default_ping(path)
        median = {m: sorted(results[(name, m)])[len(results[(name, m)]) // 2] for m in args.modes}
        quiet = median.get("quiet", 0.0)
        fired = args.sockets * args.window / args.interval
        # (ms/s - ms/s) × s × 1e3 = µs over the window, over the firings in it
        ping = (median.get("pings", quiet) - quiet) * args.window * 1e3 / fired
        check = (median.get("presence", quiet) - quiet) * args.window * 1e3 / fired
        at_defaults = PER_SERVER * (ping / every + check / DEFAULT_PRESENCE) / 1e3
        print(
            f"| {name} | {quiet:.1f} | {median.get('pings', float('nan')):.1f} | "
            f"{median.get('presence', float('nan')):.1f} | {ping:.1f} | {check:.1f} | "
            f"{at_defaults:.1f} ({PER_SERVER * ping / every / 1e3:.1f} at {every:g} s + "
            f"{PER_SERVER * check / DEFAULT_PRESENCE / 1e3:.1f}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=1, help="the sockets share this many users' tokens")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between a timer's firings")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--modes", nargs="+", default=["quiet", "pings", "presence"])
    parser.add_argument("--baseline", help="a git ref measured alternately in the same run")
    asyncio.run(driver(parser.parse_args()))


if __name__ == "__main__":
    main()
