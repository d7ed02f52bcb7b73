"""Reads against their floors and a peer, in one run: server CPU per request
and sequential p50/p99 for `contacts(first: N)` (company, owner, tags; the
bench/README query), the 8 × 50 board (owner and contact per card) and
`conversations(first: 50)` (bench/inbox_list.py's query: contact, assignee,
inbox, canReply and the SLA state computed over business hours; on
bench/seed_inbox.py's data, one conversation per contact).

Per backend (a fresh SQLite file; a fresh PostgreSQL database
`revgraph_bench_reads` or $REVGRAPH_BENCH_READS_DB, dropped at the end), on bench/reads_data.py's data,
each server started alone, pinned to core 0, the client on core 1:

  graphql    `revgraph serve` of this checkout
  baseline   `revgraph serve` of another git ref (--baseline, default main),
             from a `git archive` of it under bench/results/ (same database)
  physical   bench/physical_floor.py: raw driver, 3 statements, same JSON
  orm        bench/floor.py: Tortoise + authentication (contacts only)
  peer       PostGraphile 4 (PostgreSQL only; bench/peer.py installs it)

For every server and workload: W warm-up requests, then N requests one at a
time. Server CPU per request is user + system time of the server process
from /proc (steady on a shared machine; latency is not); on PostgreSQL the
CPU of the server's database backends (pg_stat_activity → /proc) is added
beside it. The physical and ORM floors' answers are checked equal to the
GraphQL answer, and the peer's to hold the same rows and total.

    python bench/reads.py [--backend sqlite postgres] [--pages 10,50,100]
                          [--targets graphql baseline physical orm peer]
                          [--baseline main] [--requests 300] [--warm-up 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from board_common import board_query, cpu_seconds, percentile, pin_self
from contacts_list import CONTACTS
from harness import (
    BENCH,
    RESULTS,
    SERVER_CPU,
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
from reads_report import check_answers, table

# Another name lets two runs share the PostgreSQL server (helpers, CI beside a bench).
DATABASE = os.environ.get("REVGRAPH_BENCH_READS_DB", "revgraph_bench_reads")
TARGETS = ("graphql", "baseline", "physical", "orm", "peer")
BOARD = "board 8×50"
CONVERSATIONS_50 = "conversations 50"


@dataclass
class Call:
    """One workload's request against one server."""

    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    # workload ("contacts 50", BOARD) -> the request, or None if not served
    calls: Callable[[str], Call | None]


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

    made: dict[str, Callable[[int], Server]] = {
        "graphql": lambda port: Server("graphql", revgraph_serve(port, "asyncio"), env, graphql_calls),
        "physical": lambda port: Server(
            "physical",
            [sys.executable, str(BENCH / "physical_floor.py"), "--port", str(port)],
            env,
            floor_calls,
        ),
        "orm": lambda port: Server(
            "orm", [sys.executable, str(BENCH / "floor.py"), "--port", str(port)], env, orm_calls
        ),
    }
    if args.baseline:
        folder = baseline_path(args.baseline)
        serve_baseline = "import sys; from revgraph.web.cli import main; sys.exit(main(sys.argv[1:]))"
        made["baseline"] = lambda port: Server(
            f"baseline ({args.baseline})",
            [sys.executable, "-c", serve_baseline, *revgraph_serve(port, "asyncio")[1:]],
            {**env, "PYTHONPATH": str(folder)},
            graphql_calls,
        )
    if backend == "postgres":
        made["peer"] = lambda port: Server(
            "peer (PostGraphile 4)", peer_argv(url, port), peer_env(), peer_calls
        )
    return [made[name](free_port()) for name in args.targets if name in made]


@contextlib.contextmanager
def running(server: Server, port: int) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start a server pinned to the server core; ready when `/healthz` or,
    for the peer, a trivial GraphQL query answers 200."""
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        pinned(server.argv, SERVER_CPU), env=server.env, stdout=subprocess.DEVNULL, stderr=log, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(timeout=2) as http:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{server.name} exited with {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if server.name.startswith("peer"):
                        ok = http.post(base + "/graphql", json={"query": "{__typename}"}).status_code == 200
                    else:
                        ok = http.get(base + "/healthz").status_code == 200
                    if ok:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{server.name} not ready after 90 s")
                time.sleep(0.02)
        yield process, base
    except BaseException:
        log.seek(0)
        sys.stderr.write(log.read()[-4000:])
        raise
    finally:
        if process.poll() is None:
            process.terminate() if server.name.startswith("peer") else process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


async def backend_pids(database_name: str) -> list[int]:
    """PostgreSQL backends serving the bench database (their CPU is the
    database's share of a request)."""
    import asyncpg
    from harness import PG_ADMIN_URL

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database_name)
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def _cpu_of(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            found[pid] = cpu_seconds(pid)
    return found


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


async def measure(
    server: Server, workloads: list[str], data: Any, args: argparse.Namespace, pg: bool
) -> dict:
    import gc

    port = int(server.argv[server.argv.index("--port") + 1])
    headers = {"authorization": f"Bearer {data.token}"}
    result: dict[str, Any] = {}
    with running(server, port) as (process, base), httpx.Client(base_url=base, timeout=60) as http:
        for workload in workloads:
            call = server.calls(workload)
            if call is None:
                continue
            # Blocking calls off the loop (the loop only reads pg_stat_activity).
            warm = await asyncio.to_thread(one_at_a_time, http, call, headers, args.warm_up + 1)
            answer = warm.answer
            pids = await backend_pids(DATABASE) if pg else []
            db_before, cpu_before = _cpu_of(pids), cpu_seconds(process.pid)
            # The client's own collections must not land inside a request's time.
            gc.collect()
            gc.disable()
            try:
                latencies = (
                    await asyncio.to_thread(one_at_a_time, http, call, headers, args.requests)
                ).seconds
            finally:
                gc.enable()
            cpu = (cpu_seconds(process.pid) - cpu_before) / len(latencies) * 1e3
            row: dict[str, Any] = {"answer": answer, "cpu_ms": round(cpu, 3)}
            if pg:
                after = _cpu_of(await backend_pids(DATABASE))
                db = sum(after[p] - db_before.get(p, 0.0) for p in after)
                row["db_cpu_ms"] = round(db / len(latencies) * 1e3, 3)
            p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
            row.update(p50_ms=round(p50, 2), p99_ms=round(p99, 2), max_ms=round(max(latencies) * 1e3, 2))
            row["p99_over_p50"] = round(p99 / p50, 2)
            result[workload] = row
    return result


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
        load = [round(os.getloadavg()[0], 2)]
        results: dict[str, dict] = {}
        for server in servers(args, backend, url, data):
            started = time.perf_counter()
            results[server.name.split()[0]] = await measure(server, workloads, data, args, pg)
            print(f"  measured {server.name} in {time.perf_counter() - started:.0f} s", flush=True)
        load.append(round(os.getloadavg()[0], 2))
        check_answers(results, data)
        lines = table(results, workloads, pg)
        print(f"\n{backend}, {args.requests} sequential requests per row, load average {load}:\n")
        print("\n".join(lines), flush=True)
        for rows in results.values():
            for row in rows.values():
                row.pop("answer")
        return {"results": results, "load_average": load, "table": lines, "baseline": args.baseline}


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"reads — {today()}, {machine()}")
    forward = ["--pages", ",".join(map(str, args.pages)), "--targets", *args.targets]
    forward += ["--requests", str(args.requests), "--warm-up", str(args.warm_up)]
    forward += ["--contacts", str(args.contacts), "--companies", str(args.companies)]
    forward += ["--baseline", args.baseline or ""] + (["--no-board"] if args.no_board else [])
    forward += ["--no-conversations"] if args.no_conversations else []
    each_backend_in_a_child(
        args,
        run_backend,
        forward,
        results_name=f"reads-{today()}",
        recorded={"requests": args.requests, "warm_up": args.warm_up, "baseline": args.baseline},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="reads against their floors and a peer")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--pages", type=lambda s: [int(x) for x in s.split(",")], default=[10, 50, 100])
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--baseline", default="main", help="git ref served as `baseline` ('' for none)")
    parser.add_argument("--no-board", action="store_true", help="no board")
    parser.add_argument(
        "--no-conversations", action="store_true", help="no conversations(first: 50) (and no inbox seeding)"
    )
    parser.add_argument("--requests", type=int, default=300, help="sequential requests per row")
    parser.add_argument("--warm-up", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=1_000)
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
