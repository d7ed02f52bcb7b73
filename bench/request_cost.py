"""The fixed cost of a GraphQL request, in-process (issue 15): `{ me { id } }`
and `contacts(first: 10 / 50)` through the ASGI app, this checkout against a
baseline git ref in the same run.

Per backend (a fresh SQLite file with budgets in memory; a fresh PostgreSQL
database `revgraph_bench_request_cost` (or $REVGRAPH_BENCH_REQUEST_COST_DB)
with budgets in Redis under a prefix
of its own, as deployed), seed 500 contacts and 50 companies
(bench/seed.py), then run children alternately — this checkout, the
baseline (a `git archive` put first on PYTHONPATH, as bench/reads.py
does), this checkout, ... — each of which builds the app on the seeded
database, logs in, warms up and reports, per read:

- CPU ms per request of its process (`time.process_time`, the in-process
  client's share included, alike for both; with `--client asgi` requests
  are ASGI calls without an HTTP client, so the CPU is the server's), the
  median of --blocks blocks of --per-block requests, the reads alternating;
- SQL statements and Redis commands of one request.

    python bench/request_cost.py [--backend sqlite postgres] [--baseline main] [--rounds 3]
    python bench/request_cost.py --backend postgres --client asgi --rounds 5
    python bench/request_cost.py --backend postgres --cprofile tottime --read me
    python bench/request_cost.py --backend postgres --callgrind 20 --rounds 1
    python bench/request_cost.py --backend postgres --py-spy /tmp/me.txt --read me --client asgi

With `--callgrind N` each child runs under `valgrind --tool=callgrind`
(PYTHONHASHSEED=0, instrumentation off until warmed up) and reports, per
read, the instructions of N requests after the warm-up, minus those of an
empty segment (the monitor commands' own cost), divided by N, the least of
4 such segments (see `instructions`): a figure that, unlike time, barely
moves with the machine's load. Each segment is framed by callgrind's
`zero` and `dump` monitor commands (vgdb).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx
import orjson
from board_common import REDIS_URL, drop_redis_prefix
from contacts_list import CONTACTS, LOG_IN_DOC, LOG_IN_VARS, counting_statements
from harness import database, machine, server_env, today
from reads import baseline_path

READS = {
    "typename": ("{ __typename }", {}),
    "me": ("{ me { id } }", {}),
    "contacts-10": (CONTACTS, {"first": 10}),
    "contacts-50": (CONTACTS, {"first": 50}),
}
DATABASE = os.environ.get("REVGRAPH_BENCH_REQUEST_COST_DB", "revgraph_bench_request_cost")


class AsgiClient:
    """POSTs straight into the app's ASGI callable, no HTTP client: with
    `--client asgi` the process's CPU is the server's alone (httpx's share
    of a small request is about as large as the request's own)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post(self, path: str, json: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        body = orjson.dumps(json)
        raw = [(b"host", b"bench"), (b"content-type", b"application/json")]
        raw.append((b"content-length", str(len(body)).encode()))
        raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 40000),
            "server": ("bench", 80),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return AsgiResponse(sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]))


class AsgiResponse:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    def json(self) -> Any:
        return orjson.loads(self.content)


async def once(http: Any, name: str, headers: dict[str, str]) -> None:
    document, variables = READS[name]
    response = await http.post("/graphql", json={"query": document, "variables": variables}, headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{name}: {response.status_code} {body}")


def counting_redis() -> list[str]:
    """Every command redis.asyncio sends from now on (EVALSHA included)."""
    import redis.asyncio as aioredis

    sent: list[str] = []
    original = aioredis.Redis.execute_command

    async def counted(self: Any, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await original(self, *args, **options)

    aioredis.Redis.execute_command = counted  # type: ignore[method-assign]
    return sent


async def child(args: argparse.Namespace) -> dict[str, Any]:
    """One checkout's figures on the seeded database (run in a child)."""
    from revgraph.web.app import create_app
    from revgraph.web.gc_tuning import SERVING_THRESHOLDS, CollectorRequest, apply_collector

    redis_sent = counting_redis()
    app = create_app(migrate=False)
    result: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            http: Any = AsgiClient(app) if args.client == "asgi" else client
            login = await http.post("/graphql", json={"query": LOG_IN_DOC, "variables": LOG_IN_VARS})
            headers = {"authorization": f"Bearer {login.json()['data']['logIn']['token']}"}
            for name in READS:
                for _ in range(30):
                    await once(http, name, headers)
            apply_collector(CollectorRequest(True, SERVING_THRESHOLDS))
            for name in READS:
                redis_sent.clear()
                with counting_statements() as sql:
                    await once(http, name, headers)
                result[f"{name} statements"] = len(sql)
                result[f"{name} redis"] = len(redis_sent)
            if args.cprofile:
                await profile(http, args.read, headers, args.cprofile)
                return result
            if args.callgrind:
                result.update(await instructions(http, headers, args))
                return result
            if args.py_spy:
                for _ in range(args.py_spy_requests):  # sampled from outside by py-spy
                    await once(http, args.read, headers)
                return result
            measured: dict[str, list[float]] = {name: [] for name in READS}
            for _ in range(args.blocks):
                for name in READS:
                    started = time.process_time()
                    for _ in range(args.per_block):
                        await once(http, name, headers)
                    measured[name].append((time.process_time() - started) / args.per_block * 1000)
            for name, values in measured.items():
                result[f"{name} cpu"] = round(statistics.median(values), 3)
    return result


def _monitor(*command: str) -> None:
    """A callgrind monitor command to this very process (via vgdb)."""
    subprocess.run(["vgdb", f"--pid={os.getpid()}", *command], check=True, capture_output=True)


def _dumped_instructions(folder: str, hint: str) -> int:
    """The instructions of the dump whose `desc: Trigger` names `hint`."""
    for name in os.listdir(folder):
        text = open(os.path.join(folder, name)).read()
        if any(
            line.startswith("desc: Trigger:") and line.endswith(hint) for line in text[:4000].splitlines()
        ):
            for line in text.splitlines():
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise RuntimeError(f"no callgrind dump for {hint} in {folder}")


async def instructions(http: Any, headers: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Instructions per request of each read (see --callgrind): the least
    of SEGMENTS segments per read, the reads alternating, each segment's
    count less an empty segment's. Occasional work lands in one segment or
    another and is left out by taking the least: the collector (off during
    segments; bench/gc_pauses.py measures its pauses), the presence write
    (once a minute of wall time, and valgrind makes minutes short), the
    rate limit's lease refills (one Redis round trip per 16 requests or
    per minute) — the same in every build."""
    import gc

    _monitor("instrumentation", "on")
    for name in READS:  # translations instrumented before anything counts
        for _ in range(5):
            await once(http, name, headers)
    segments = [("empty", 0, 0)]
    segments += [(name, args.callgrind, index) for index in range(SEGMENTS) for name in READS]
    gc.disable()
    try:
        for label, count, index in segments:
            gc.collect()
            _monitor("zero")
            for _ in range(count):
                await once(http, label, headers)
            _monitor("dump", f"segment-{label}-{index}")
    finally:
        gc.enable()
    folder = args.callgrind_dir
    empty = _dumped_instructions(folder, "segment-empty-0")
    result: dict[str, Any] = {}
    for name in READS:
        counts = [
            (_dumped_instructions(folder, f"segment-{name}-{index}") - empty) / args.callgrind
            for index in range(SEGMENTS)
        ]
        result[f"{name} instructions"] = min(counts)
        result[f"{name} segments"] = counts
    return result


# Segments per read and child under --callgrind.
SEGMENTS = 4


async def profile(http: httpx.AsyncClient, name: str, headers: dict[str, str], key: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        await once(http, name, headers)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats(key).print_stats(int(os.environ.get("PROFILE_LINES", "50")))
    if os.environ.get("CALLERS"):
        stats.print_callers(os.environ["CALLERS"])


def run_child(env: dict[str, str], args: argparse.Namespace, pythonpath: str | None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out, tempfile.TemporaryDirectory() as dumps:
        argv = [sys.executable, sys.argv[0], "--child-json", out.name]
        argv += ["--blocks", str(args.blocks), "--per-block", str(args.per_block), "--client", args.client]
        argv += ["--reads", *READS]
        if args.cprofile:
            argv += ["--cprofile", args.cprofile, "--read", args.read]
        child_env = {**env, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
        if args.py_spy:
            argv += [
                "--py-spy",
                args.py_spy,
                "--py-spy-requests",
                str(args.py_spy_requests),
                "--read",
                args.read,
            ]
            argv = ["py-spy", "record", "--rate", "997", "--format", "raw", "-o", args.py_spy, "--", *argv]
        if args.callgrind:
            argv += ["--callgrind", str(args.callgrind), "--callgrind-dir", dumps]
            argv = [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={dumps}/callgrind.%p",
                *argv,
            ]
            child_env["PYTHONHASHSEED"] = "0"
        subprocess.run(argv, check=True, env=child_env, capture_output=bool(args.callgrind))
        return json.loads(open(out.name).read())


async def run_backend(backend: str, args: argparse.Namespace) -> None:
    from seed import seed

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings

    prefix = f"rgbench-cost-{uuid.uuid4().hex[:8]}"
    async with database(backend, name=DATABASE) as url:
        env = server_env(url)
        if backend == "postgres":
            env.update({"REVGRAPH_REDIS_URL": REDIS_URL, "REVGRAPH_REDIS_PREFIX": prefix})
        os.environ.update(env)
        settings = Settings.from_env()
        await open_database(settings, migrate=True)
        try:
            await seed(settings, contacts=500, companies=50)
        finally:
            await close_database()
        try:
            if args.cprofile or args.py_spy:
                folder = str(baseline_path(args.baseline)) if args.profile_baseline else None
                run_child(env, args, folder)
                return
            targets = [("this", None)]
            if args.baseline:
                targets.append((f"baseline {args.baseline}", str(baseline_path(args.baseline))))
            runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in targets}
            load = [os.getloadavg()[0]]
            for _ in range(args.rounds):
                for label, folder in targets:
                    runs[label].append(await asyncio.to_thread(run_child, env, args, folder))
            load.append(os.getloadavg()[0])
        finally:
            if backend == "postgres":
                await drop_redis_prefix(prefix)
    print(f"\n{backend}, load average {load[0]:.2f} → {load[1]:.2f}, {args.rounds} rounds alternated\n")
    if args.callgrind:
        print_instructions(runs, args)
        return
    print("| checkout | read | CPU ms/req (median of rounds) | rounds | SQL statements | Redis commands |")
    print("|---|---|---|---|---|---|")
    medians: dict[tuple[str, str], float] = {}
    for label, results in runs.items():
        for name in READS:
            values = [r[f"{name} cpu"] for r in results]
            medians[label, name] = statistics.median(values)
            shown = " / ".join(f"{v:.2f}" for v in values)
            r = results[0]
            print(
                f"| {label} | {name} | {medians[label, name]:.2f} | {shown} "
                f"| {r[f'{name} statements']} | {r[f'{name} redis']} |"
            )
    if args.baseline:
        base = targets[1][0]
        for name in READS:
            print(f"{name}: this ÷ baseline = {medians['this', name] / medians[base, name]:.2f}")


def print_instructions(runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    print(
        f"| checkout | read | instructions per request, each round: the least (each segment of {args.callgrind} requests)"
        " | SQL statements |"
    )
    print("|---|---|---|---|")
    for label, results in runs.items():
        for name in READS:
            shown = " / ".join(
                f"{r[f'{name} instructions']:,.0f} ({', '.join(f'{c / 1000:,.0f}k' for c in r[f'{name} segments'])})"
                for r in results
            )
            print(f"| {label} | {name} | {shown} | {results[0][f'{name} statements']} |")
    labels = list(runs)
    if len(labels) == 2:
        for name in READS:
            this = min(r[f"{name} instructions"] for r in runs[labels[0]])
            base = min(r[f"{name} instructions"] for r in runs[labels[1]])
            print(f"{name}: this ÷ baseline = {this / base:.3f} (the least of each checkout's rounds)")


def main() -> None:
    parser = argparse.ArgumentParser(description="the fixed cost of a request, in-process")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--baseline", default="main", help="git ref compared in the same run ('' for none)")
    parser.add_argument("--rounds", type=int, default=3, help="children per checkout, alternated")
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--per-block", type=int, default=50)
    parser.add_argument("--cprofile", help="profile --read (300 requests) sorted by this key instead")
    parser.add_argument("--read", default="me", choices=sorted(READS))
    parser.add_argument("--profile-baseline", action="store_true", help="profile the baseline instead")
    parser.add_argument(
        "--client",
        choices=["httpx", "asgi"],
        default="httpx",
        help="httpx's in-process client, or straight ASGI calls (server CPU only)",
    )
    parser.add_argument(
        "--callgrind", type=int, default=0, help="instructions per request over N requests, under valgrind"
    )
    parser.add_argument("--callgrind-dir", help=argparse.SUPPRESS)
    parser.add_argument(
        "--py-spy", help="sample --read's requests with py-spy into this file (collapsed stacks)"
    )
    parser.add_argument("--py-spy-requests", type=int, default=2000)
    parser.add_argument("--reads", nargs="+", choices=sorted(READS), help="only these reads")
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reads:
        for name in set(READS) - set(args.reads):
            del READS[name]
    if args.child_json:
        result = asyncio.run(child(args))
        with open(args.child_json, "w") as out:
            out.write(json.dumps(result))
        return
    print(f"request fixed cost, in-process — {today()}, {machine()}")
    for backend in args.backend:
        asyncio.run(run_backend(backend, args))


if __name__ == "__main__":
    main()
