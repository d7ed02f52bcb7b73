"""`contacts(first: 50)` with company, owner and tags, measured.

For each backend (a fresh SQLite file; a fresh PostgreSQL database
`revgraph_bench`, dropped at the end): seed 10,000 contacts and 1,000
companies (bench/seed.py), then

1. count the SQL statements of one whole HTTP request (bearer lookup
   included) for first = 10, 50 and 100, in-process through the ASGI app with
   the same statement counter as tests/conftest.py;
2. start `revgraph serve --loop <loop>` (one uvicorn process, pinned to one
   core), log in, warm up, and hold C requests in flight for S seconds from
   the other core: p50/p99/max latency and req/s;
3. do the same against the raw-JSON floor (bench/floor.py) and report the
   ratio.

    python bench/contacts_list.py [--backend sqlite postgres] [--loop asyncio uvloop]
                                  [--connections 10] [--seconds 15]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from harness import (
    BENCH,
    database,
    each_backend_in_a_child,
    free_port,
    machine,
    revgraph_serve,
    serve,
    server_env,
    today,
)
from load import Request, drive

CONTACTS = """
query Contacts($first: Int!) {
  contacts(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id name email phone lifecycleStage source tags
        company { id name }
        owner { id name }
      }
    }
  }
}
"""
PAGE_SIZES = (10, 50, 100)
WARM_UP_SECONDS = 3


def graphql_body(first: int = 50) -> dict[str, Any]:
    return {"query": CONTACTS, "variables": {"first": first}}


def check_page(body: dict[str, Any], first: int) -> None:
    """A benchmark of errors measures nothing: insist on a full, clean page."""
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    edges = body["data"]["contacts"]["edges"]
    if len(edges) != first or not all(e["node"]["tags"] for e in edges):
        raise RuntimeError(f"expected {first} contacts with tags, got {len(edges)}")


@contextlib.contextmanager
def counting_statements():
    """The statement counter of tests/conftest.py (count_sql)."""
    from tortoise import connections

    conn = connections.get("default")
    statements: list[str] = []
    names = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")
    originals = {name: getattr(conn, name) for name in names}

    def wrap(original: Any) -> Any:
        async def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
            statements.append(sql)
            return await original(sql, *args, **kwargs)

        return counted

    for name, original in originals.items():
        setattr(conn, name, wrap(original))
    try:
        yield statements
    finally:
        for name, original in originals.items():
            setattr(conn, name, original)


async def statements_per_page(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    body: Callable[[int], dict[str, Any]],
    check: Callable[[dict[str, Any], int], None],
    show_sql: bool = False,
) -> dict[int, int]:
    """The SQL statements of one whole request (bearer lookup included) for
    each of PAGE_SIZES, through an in-process client; `show_sql` prints
    those of first=50."""
    statements: dict[int, int] = {}
    for first in PAGE_SIZES:
        # The first request of a session refreshes presence: not a list cost.
        await http.post("/graphql", json=body(first), headers=headers)
        with counting_statements() as sql:
            response = await http.post("/graphql", json=body(first), headers=headers)
        check(response.json(), first)
        statements[first] = len(sql)
        if show_sql and first == 50:
            for line in sql:
                print("    SQL:", " ".join(line.split())[:160])
    return statements


async def _ms_per_request(http: httpx.AsyncClient, headers: dict[str, str], n: int = 200) -> float:
    """CPU milliseconds of this process per request (robust to a busy machine)."""
    started = time.process_time()
    for _ in range(n):
        await http.post("/graphql", json=graphql_body(), headers=headers)
    return round((time.process_time() - started) / n * 1000, 2)


async def caches_on_and_off(http: httpx.AsyncClient, schema: Any, headers: dict[str, str]) -> dict:
    """One request at a time through the ASGI app (no network): the cost of
    a request with the parser and validation caches, and without them."""
    from strawberry.extensions import ParserCache, ValidationCache

    def is_cache(extension: Any) -> bool:
        # The schema holds instances, classes or factories (lambdas).
        made = extension if not callable(extension) or isinstance(extension, type) else extension()
        return made in (ParserCache, ValidationCache) or isinstance(made, (ParserCache, ValidationCache))

    saved = list(schema.extensions)
    without = [e for e in saved if not is_cache(e)]
    if len(without) == len(saved):
        raise RuntimeError("the schema has no parser/validation cache to switch off")
    await _ms_per_request(http, headers, 20)
    # Alternate short blocks so drift in the machine's load hits both alike.
    on: list[float] = []
    off: list[float] = []
    try:
        for _ in range(7):
            schema.extensions = saved
            on.append(await _ms_per_request(http, headers, 30))
            schema.extensions = without
            off.append(await _ms_per_request(http, headers, 30))
    finally:
        schema.extensions = saved
    return {"caches_on": statistics.median(on), "caches_off": statistics.median(off)}


async def seed_and_count(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed the database, then count statements per request in-process."""
    from seed import seed

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    os.environ.update(server_env(database_url))
    settings = Settings.from_env()
    await open_database(settings, migrate=True)
    try:
        seeded = await seed(
            settings, contacts=args.contacts, companies=args.companies, analyze=not args.no_analyze
        )
        print(f"  seeded {seeded.contacts} contacts, {seeded.companies} companies in {seeded.seconds:.1f} s")
        app = create_app(settings, migrate=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
            login = await http.post("/graphql", json={"query": LOG_IN_DOC, "variables": LOG_IN_VARS})
            token = login.json()["data"]["logIn"]["token"]
            headers = {"authorization": f"Bearer {token}"}
            statements = await statements_per_page(http, headers, graphql_body, check_page, args.show_sql)
            in_process = await caches_on_and_off(http, app.state.schema, headers)
        return {
            "seed_seconds": round(seeded.seconds, 2),
            "statements": statements,
            "in_process_ms": in_process,
            "token": token,
        }
    finally:
        await close_database()


LOG_IN_DOC = "mutation($input: LogInInput!) { logIn(input: $input) { token } }"
LOG_IN_VARS = {"input": {"email": "bench-admin@bench.example", "password": "bench-password"}}


async def measure(
    argv: list[str],
    env: dict[str, str],
    port: int,
    request: Request,
    args: Any,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> dict:
    """Serve `argv`, check one answer (default: a full contacts page), warm
    up, then hold `args.connections` requests in flight for `args.seconds`."""
    with serve(argv, env, port) as server:
        request.url = server.url + request.url
        async with httpx.AsyncClient(timeout=30) as http:
            sample = await http.request(
                request.method, request.url, json=request.body, headers=request.headers()
            )
        (check or (lambda body: check_page(body, 50)))(sample.json())
        await drive(request, connections=args.connections, seconds=WARM_UP_SECONDS)
        cpu = server.cpu_seconds()
        load = await drive(request, connections=args.connections, seconds=args.seconds)
        cpu_ms = (server.cpu_seconds() - cpu) / max(load.requests, 1) * 1000
        # Other work on the machine skews latency: keep the 1-minute load with the numbers.
        busy = round(os.getloadavg()[0], 2)
        line = f"{load.line()} CPU {cpu_ms:.1f} ms/request, load {busy}"
        return {
            **load.as_dict(),
            "server_cpu_ms_per_request": round(cpu_ms, 2),
            "rss_after_mib": round(server.rss_mib(), 1),
            "load_1m": busy,
            "line": line,
        }


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {backend}")
    async with database(backend) as url:
        result = await seed_and_count(url, args)
        token = result.pop("token")
        print(f"  SQL statements per request (first=10/50/100): {result['statements']}")
        timing = result["in_process_ms"]
        print(
            f"  in-process, one at a time: {timing['caches_on']} CPU ms per request with parser and "
            f"validation caches, {timing['caches_off']} ms without"
        )
        env = server_env(url)
        graphql_runs: dict[str, list[dict]] = {loop: [] for loop in args.loop}
        for round_ in range(args.rounds):
            # Loops alternate within each round, so drift on a shared machine
            # hits both alike; the floor is measured in the first round.
            for loop in args.loop:
                port = free_port()
                run = await measure(
                    revgraph_serve(port, loop),
                    env,
                    port,
                    Request("/graphql", "POST", graphql_body(), token),
                    args,
                )
                graphql_runs[loop].append(run)
                print(f"  [{loop}] GraphQL {run['line']}")
                if round_ == 0:
                    port = free_port()
                    floor = await measure(
                        [sys.executable, str(BENCH / "floor.py"), "--port", str(port), "--loop", loop],
                        env,
                        port,
                        Request("/contacts?first=50", "GET", None, token),
                        args,
                    )
                    result[loop] = {"floor": floor}
                    print(f"  [{loop}] floor   {floor['line']}")
        for loop, runs in graphql_runs.items():
            graphql = {
                key: round(statistics.median(r[key] for r in runs), 2)
                for key in ("rps", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_request")
            }
            floor = result[loop]["floor"]
            ratio = floor["rps"] / graphql["rps"]
            cpu_ratio = graphql["server_cpu_ms_per_request"] / floor["server_cpu_ms_per_request"]
            result[loop].update(
                graphql=graphql,
                graphql_runs=runs,
                floor_over_graphql_rps=round(ratio, 2),
                graphql_over_floor_cpu=round(cpu_ratio, 2),
            )
            print(
                f"  [{loop}] GraphQL median of {len(runs)}: {graphql['rps']:.0f} req/s, p50 "
                f"{graphql['p50_ms']:.0f} ms, p99 {graphql['p99_ms']:.0f} ms, "
                f"{graphql['server_cpu_ms_per_request']:.1f} CPU ms/request"
            )
            print(
                f"  [{loop}] the raw-JSON floor serves {ratio:.1f}x the GraphQL req/s; "
                f"GraphQL takes {cpu_ratio:.1f}x its server CPU per request"
            )
        if len(graphql_runs) > 1:
            best = min(graphql_runs, key=lambda loop: result[loop]["graphql"]["p99_ms"])
            result["lowest_p99_loop"] = best
            print(f"  lowest median p99: --loop {best}")
        return result


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"contacts(first: 50) — {today()}, {machine()}")
        print(f"  {args.connections} connections, {args.seconds} s per run after {WARM_UP_SECONDS} s warm-up")
    forward = ["--loop", *args.loop, "--connections", str(args.connections), "--seconds", str(args.seconds)]
    forward += ["--contacts", str(args.contacts), "--companies", str(args.companies)]
    forward += ["--rounds", str(args.rounds)]
    forward += ["--show-sql"] if args.show_sql else []
    forward += ["--no-analyze"] if args.no_analyze else []
    each_backend_in_a_child(
        args,
        run_backend,
        forward,
        results_name=f"contacts_list-{today()}{'-no-analyze' if args.no_analyze else ''}",
        recorded={"connections": args.connections, "seconds": args.seconds, "rounds": args.rounds},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="contacts(first: 50) benchmark")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--loop", nargs="+", choices=["asyncio", "uvloop"], default=["asyncio", "uvloop"])
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="GraphQL runs per loop, alternating loops")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=1_000)
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of one first=50 request"
    )
    parser.add_argument(
        "--no-analyze", action="store_true", help="serve without planner statistics (a fresh SQLite file)"
    )
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
