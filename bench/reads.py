"""Reads against their floors and a peer, in one run: server CPU per request
and sequential p50/p99 for `contacts(first: N)` (company, owner, tags; the
bench/README query), the 8 × 50 board (owner and contact per card) and
`conversations(first: 50)` (bench/inbox_list.py's query: contact, assignee,
inbox, canReply and the SLA state computed over business hours; on
bench/seed_inbox.py's data, one conversation per contact).

Per backend (a fresh SQLite file; a fresh PostgreSQL database
`revgraph_bench_reads` or $REVGRAPH_BENCH_READS_DB, dropped at the end), on
bench/reads_data.py's data, all the servers running at once, each pinned to
core 0, the client on core 1:

  graphql    `revgraph serve` of this checkout
  baseline   `revgraph serve` of another git ref (--baseline, default main),
             from a `git archive` of it under bench/results/ (same database)
  physical   bench/physical_floor.py: raw driver, 3 statements, same JSON
  orm        bench/floor.py: Tortoise + authentication (contacts only)
  peer       PostGraphile 4 (PostgreSQL only; bench/peer.py installs it)

Every server is warmed on every workload (W requests) and the floors' and
the baseline's answers are checked equal to the GraphQL answer, the peer's
to hold the same rows and total, before anything is measured. Then, per
workload, R rounds; in a round every server gets a block of B requests
sent one at a time (after --block-warm-up uncounted ones), the servers'
order in a round taken from a balanced Latin square (each server as often
in each place and after each other server). Measured one server after the
other, the order moved a ratio by more than the changes judged (the board
1.22× with one first, 0.77× with the other): blocks put every server under
the same conditions, and a ratio is taken within a round.

A block's server CPU is the process's on-CPU time (/proc/<pid>/task/*/
schedstat, in ns; /proc/<pid>/stat counts 10 ms ticks); on PostgreSQL the
CPU of that server's own database backends (pg_stat_activity's client port
matched to the server's sockets → /proc) is measured beside it. Per server:
the median over blocks of CPU ms/request and its interquartile range, p50
and p99 of all measured requests; ratios are medians of per-round ratios.

    python bench/reads.py [--backend sqlite postgres] [--pages 50]
                          [--targets graphql baseline physical orm peer]
                          [--baseline main] [--rounds 20] [--block 15]
                          [--warm-up 50] [--block-warm-up 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from board_common import board_query, pin_self
from contacts_list import CONTACTS
from harness import (
    BENCH,
    RESULTS,
    SERVER_CPU,
    DatabaseCpu,
    cpu_ns,
    database,
    each_backend_in_a_child,
    free_port,
    machine,
    pinned,
    revgraph_serve,
    server_env,
    today,
)
from inbox_list import CONVERSATIONS
from peer import peer_argv, peer_body, peer_env
from reads_data import seed_reads
from reads_report import balanced_orders, check_answers, summary, table

# Another name lets two runs share the PostgreSQL server (helpers, CI beside a bench).
DATABASE = os.environ.get("REVGRAPH_BENCH_READS_DB", "revgraph_bench_reads")
TARGETS = ("graphql", "baseline", "physical", "orm", "peer")
BOARD = "board 8×50"
CONVERSATIONS_50 = "conversations 50"
# All the servers start at once on one core.
READY_SECONDS = 180


@dataclass
class Call:
    """One workload's request against one server."""

    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass
class Server:
    name: str  # graphql, baseline, physical, orm, peer: the key of its figures
    label: str
    argv: list[str]
    env: dict[str, str]
    # workload ("contacts 50", BOARD) -> the request, or None if not served
    calls: Callable[[str], Call | None]
    port: int
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def baseline_path(ref: str) -> Path:
    """A `git archive` of `ref` laid out as an importable `revgraph` package."""
    root = BENCH.parent
    sha = subprocess.run(["git", "rev-parse", ref], cwd=root, capture_output=True, text=True, check=True)
    folder = RESULTS / "baseline" / sha.stdout.strip()[:12]
    package = folder / "revgraph"
    if not package.exists():
        package.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref], cwd=root, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(package)], input=archive, check=True)
    return folder


def servers(args: argparse.Namespace, backend: str, url: str, data: Any) -> list[Server]:
    from revgraph.resolvers.ids import encode_id

    env = server_env(url)
    graphql_board = {
        "query": board_query(with_contact=True),
        "variables": {"id": encode_id("Pipeline", data.pipeline_id), "first": 50},
    }

    def graphql_calls(workload: str) -> Call:
        if workload == BOARD:
            return Call("POST", "/graphql", graphql_board)
        if workload == CONVERSATIONS_50:
            return Call("POST", "/graphql", {"query": CONVERSATIONS, "variables": {"first": 50}})
        return Call("POST", "/graphql", {"query": CONTACTS, "variables": {"first": int(workload.split()[1])}})

    def floor_calls(workload: str) -> Call:
        if workload == BOARD:
            return Call("GET", f"/board?id={data.pipeline_id}&first=50")
        if workload == CONVERSATIONS_50:
            return Call("GET", "/conversations?first=50")
        return Call("GET", f"/contacts?first={workload.split()[1]}")

    def orm_calls(workload: str) -> Call | None:
        return floor_calls(workload) if workload.startswith("contacts") else None

    def peer_calls(workload: str) -> Call | None:
        if not workload.startswith("contacts"):
            return None
        return Call("POST", "/graphql", peer_body(int(workload.split()[1]), data.workspace_id))

    def script(name: str, port: int) -> list[str]:
        return [sys.executable, str(BENCH / name), "--port", str(port)]

    made: dict[str, Callable[[int], Server]] = {
        "graphql": lambda port: Server(
            "graphql", "graphql", revgraph_serve(port, "asyncio"), env, graphql_calls, port
        ),
        "physical": lambda port: Server(
            "physical", "physical", script("physical_floor.py", port), env, floor_calls, port
        ),
        "orm": lambda port: Server("orm", "orm", script("floor.py", port), env, orm_calls, port),
    }
    if args.baseline:
        folder = baseline_path(args.baseline)
        serve_baseline = "import sys; from revgraph.web.cli import main; sys.exit(main(sys.argv[1:]))"
        made["baseline"] = lambda port: Server(
            "baseline",
            f"baseline ({args.baseline})",
            [sys.executable, "-c", serve_baseline, *revgraph_serve(port, "asyncio")[1:]],
            {**env, "PYTHONPATH": str(folder)},
            graphql_calls,
            port,
        )
    if backend == "postgres":
        made["peer"] = lambda port: Server(
            "peer", "peer (PostGraphile 4)", peer_argv(url, port), peer_env(), peer_calls, port
        )
    return [made[name](free_port()) for name in args.targets if name in made]


def _ready(http: httpx.Client, server: Server) -> bool:
    """`/healthz` answers 200 or, for the peer, a trivial GraphQL query."""
    with contextlib.suppress(httpx.TransportError):
        if server.name == "peer":
            return http.post(server.base + "/graphql", json={"query": "{__typename}"}).status_code == 200
        return http.get(server.base + "/healthz").status_code == 200
    return False


def _stop(server: Server) -> None:
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate() if server.name == "peer" else process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def all_running(chosen: list[Server]) -> Iterator[None]:
    """Start every server at once, each pinned to the server core, and wait
    until all are ready; stop them all afterwards, failure or not (with the
    stderr of every server on a failure)."""
    logs = {}
    try:
        for server in chosen:
            logs[server.name] = log = tempfile.TemporaryFile(mode="w+")
            server.process = subprocess.Popen(
                pinned(server.argv, SERVER_CPU),
                env=server.env,
                # the floors log to stdout, a revgraph server to stderr
                stdout=log,
                stderr=log,
                text=True,
            )
        deadline = time.monotonic() + READY_SECONDS
        with httpx.Client(timeout=2) as http:
            for server in chosen:
                while not _ready(http, server):
                    assert server.process is not None
                    if server.process.poll() is not None:
                        raise RuntimeError(f"{server.label} exited with {server.process.returncode}")
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{server.label} not ready after {READY_SECONDS} s")
                    time.sleep(0.05)
        yield
    except BaseException:
        for name, log in logs.items():
            log.seek(0)
            sys.stderr.write(f"--- {name} output ---\n{log.read()[-4000:]}\n")
        raise
    finally:
        for server in chosen:
            _stop(server)
        for log in logs.values():
            log.close()


@dataclass
class Run:
    seconds: list[float]
    answer: dict[str, Any]


def one_at_a_time(http: httpx.Client, call: Call, headers: dict[str, str], n: int) -> Run:
    """n requests, each sent when the previous answered: wall seconds each,
    and the last answer."""
    latencies = []
    response = None
    for _ in range(n):
        started = time.perf_counter()
        response = http.request(call.method, call.path, json=call.body, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{call.path}: HTTP {response.status_code} {response.text[:300]}")
    return Run(latencies, response.json() if response is not None else {})


async def sent(server: Server, http: httpx.Client, call: Call, headers: dict[str, str], n: int) -> Run:
    """one_at_a_time off the loop (the loop only reads pg_stat_activity),
    a failure naming the server."""
    try:
        return await asyncio.to_thread(one_at_a_time, http, call, headers, n)
    except (RuntimeError, httpx.HTTPError) as error:
        raise RuntimeError(f"{server.label}: {error}") from error


async def block(
    server: Server, http: httpx.Client, call: Call, headers: dict[str, str], args: argparse.Namespace, db: Any
) -> dict[str, Any]:
    """One block: --block-warm-up requests uncounted, then --block requests
    with the server's (and its database backends') CPU read around them."""
    assert server.process is not None
    pid = server.process.pid
    await sent(server, http, call, headers, args.block_warm_up)
    db_before = await db.of(pid) if db else {}
    before = cpu_ns(pid)
    latencies = (await sent(server, http, call, headers, args.block)).seconds
    cpu = cpu_ns(pid) - before
    found: dict[str, Any] = {"cpu_ms": cpu / len(latencies) / 1e6, "seconds": latencies}
    if db:
        after = await db.of(pid)
        used = sum(after[p] - db_before.get(p, 0) for p in after)
        found["db_cpu_ms"] = used / len(latencies) / 1e6
    return found


async def measure(
    chosen: list[Server], workloads: list[str], data: Any, args: argparse.Namespace, db: Any
) -> dict[str, Any]:
    """Warm and check every server, then the rounds of blocks: per workload,
    its `servers` and `rounds` (per round {server: its block}, in the order
    the blocks ran)."""
    headers = {"authorization": f"Bearer {data.token}"}
    clients = {s.name: httpx.Client(base_url=s.base, timeout=60) for s in chosen}
    try:
        answers: dict[str, dict[str, Any]] = {s.name: {} for s in chosen}
        for workload in workloads:
            for server in chosen:
                call = server.calls(workload)
                if call is not None:
                    warm = await sent(server, clients[server.name], call, headers, args.warm_up + 1)
                    answers[server.name][workload] = {"answer": warm.answer}
        check_answers(answers, data)
        measured: dict[str, Any] = {}
        for workload in workloads:
            present = [s for s in chosen if s.calls(workload) is not None]
            orders = balanced_orders(len(present))
            rounds = []
            started = time.perf_counter()
            for number in range(args.rounds):
                order = [present[i] for i in orders[number % len(orders)]]
                # The client's own collections must not land inside a block.
                gc.collect()
                gc.disable()
                try:
                    done = {}
                    for server in order:
                        call = server.calls(workload)
                        assert call is not None
                        done[server.name] = await block(server, clients[server.name], call, headers, args, db)
                finally:
                    gc.enable()
                rounds.append(done)
            measured[workload] = {"servers": [s.name for s in present], "rounds": rounds}
            print(f"  {workload}: {args.rounds} rounds in {time.perf_counter() - started:.0f} s", flush=True)
        return measured
    finally:
        for client in clients.values():
            client.close()


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {backend}", flush=True)
    pg = backend == "postgres"
    workloads = [f"contacts {n}" for n in args.pages] + ([BOARD] if not args.no_board else [])
    workloads += [CONVERSATIONS_50] if not args.no_conversations else []
    async with database(backend, name=DATABASE) as url:
        os.environ.update(server_env(url))
        from revgraph.resolvers.settings import Settings

        data = await seed_reads(
            Settings.from_env(),
            contacts=args.contacts,
            companies=args.companies,
            conversations=not args.no_conversations,
        )
        print(
            f"  seeded {data.contacts} contacts, a board of {data.deals} deals"
            + ("" if args.no_conversations else " and a conversation per contact")
            + f" in {data.seconds:.0f} s"
        )
        pin_self(1)
        chosen = servers(args, backend, url, data)
        load = [round(os.getloadavg()[0], 2)]
        with all_running(chosen):
            print(f"  started {', '.join(s.label for s in chosen)}", flush=True)
            async with DatabaseCpu(DATABASE) if pg else contextlib.nullcontext() as db:
                measured = await measure(chosen, workloads, data, args, db)
        load.append(round(os.getloadavg()[0], 2))
        labels = {s.name: s.label for s in chosen}
        summaries = {workload: summary(found["rounds"], pg) for workload, found in measured.items()}
        lines = table(summaries, labels, pg)
        print(
            f"\n{backend}, {args.rounds} rounds × a block of {args.block} sequential requests per server,"
            f" load average {load}:\n"
        )
        print("\n".join(lines), flush=True)
        for found in measured.values():
            for done in found["rounds"]:
                for one in done.values():
                    one.pop("seconds")
        return {
            "summaries": summaries,
            "blocks": measured,
            "labels": labels,
            "load_average": load,
            "table": lines,
            "baseline": args.baseline,
        }


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"reads — {today()}, {machine()}")
    forward = ["--pages", ",".join(map(str, args.pages)), "--targets", *args.targets]
    forward += ["--rounds", str(args.rounds), "--block", str(args.block), "--warm-up", str(args.warm_up)]
    forward += ["--block-warm-up", str(args.block_warm_up)]
    forward += ["--contacts", str(args.contacts), "--companies", str(args.companies)]
    forward += ["--baseline", args.baseline or ""] + (["--no-board"] if args.no_board else [])
    forward += ["--no-conversations"] if args.no_conversations else []
    each_backend_in_a_child(
        args,
        run_backend,
        forward,
        results_name=f"reads-{today()}",
        recorded={
            "rounds": args.rounds,
            "block": args.block,
            "warm_up": args.warm_up,
            "block_warm_up": args.block_warm_up,
            "baseline": args.baseline,
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="reads against their floors and a peer")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--pages", type=lambda s: [int(x) for x in s.split(",")], default=[50])
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--baseline", default="main", help="git ref served as `baseline` ('' for none)")
    parser.add_argument("--no-board", action="store_true", help="no board")
    parser.add_argument(
        "--no-conversations", action="store_true", help="no conversations(first: 50) (and no inbox seeding)"
    )
    parser.add_argument(
        "--rounds", type=int, default=20, help="rounds per workload (one block per server each)"
    )
    parser.add_argument("--block", type=int, default=15, help="sequential requests measured per block")
    parser.add_argument(
        "--warm-up", type=int, default=50, help="requests per server and workload before any round"
    )
    parser.add_argument(
        "--block-warm-up", type=int, default=1, help="uncounted requests at the start of every block"
    )
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=1_000)
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
