"""CPU per read, in-process: the hot lists one request at a time through the
ASGI app (no network, no load generator), with their SQL statements.

For each backend (a fresh SQLite file; a fresh PostgreSQL database
`revgraph_bench_hotpath`, dropped at the end): seed 10,000 contacts and 1,000
companies (bench/seed.py), and in a second workspace a board of 8 stages ×
50 deals with owner and contact (bench/board_common.py, through the API in
this process), then for each read and page size:

- the SQL statements of one whole HTTP request (bearer lookup included);
- the CPU of this process per request (`time.process_time`, the client's
  share included), the median of --blocks alternating blocks of
  --per-block requests after a warm-up of 10 — the steadiest
  figure on a shared machine, and what the issue's ratios are made of.

    python bench/read_cpu.py [--backend sqlite postgres] [--profile contacts-50]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from board_common import Api, board_query, seed_board, seed_workspace
from contacts_list import CONTACTS, LOG_IN_DOC, LOG_IN_VARS, counting_statements
from harness import database, each_backend_in_a_child, machine, server_env, today

COMPANIES = """
query Companies($first: Int!) {
  companies(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name domain createdAt owner { id name } } }
  }
}
"""
DEALS = """
query Deals($first: Int!) {
  deals(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title value currency status createdAt owner { id name } contact { id name } } }
  }
}
"""
PAGE_SIZES = (10, 50, 100)


class Read:
    """One read of the bench: its document, variables and who asks."""

    def __init__(self, name: str, document: str, variables: dict[str, Any], headers: dict[str, str]) -> None:
        self.name, self.document, self.variables, self.headers = name, document, variables, headers

    async def once(self, http: httpx.AsyncClient) -> dict[str, Any]:
        response = await http.post(
            "/graphql", json={"query": self.document, "variables": self.variables}, headers=self.headers
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"{self.name}: {body['errors']}")
        return body


async def cpu_ms(
    http: httpx.AsyncClient,
    reads: list[Read],
    blocks: int,
    per_block: int,
    modes: dict[str, Callable[[], None]] | None = None,
) -> dict[str, float]:
    """Median CPU ms per request of each read, blocks alternating between
    reads so drift in the machine's load hits them alike; with `modes`
    (name → what switches to it), each read's blocks alternate between the
    modes too, and the keys are "<read> <mode>"."""
    for read in reads:
        for _ in range(10):
            await read.once(http)
    switches = modes or {"": lambda: None}
    measured: dict[str, list[float]] = {}
    for _ in range(blocks):
        for read in reads:
            for mode, switch in switches.items():
                switch()
                started = time.process_time()
                for _ in range(per_block):
                    await read.once(http)
                key = f"{read.name} {mode}" if mode else read.name
                measured.setdefault(key, []).append((time.process_time() - started) / per_block * 1000)
    return {name: round(statistics.median(values), 2) for name, values in measured.items()}


async def statements(http: httpx.AsyncClient, read: Read) -> int:
    await read.once(http)
    with counting_statements() as sql:
        await read.once(http)
    return len(sql)


@dataclasses.dataclass
class Seeded:
    """The in-process app on bench/seed.py's workspace (10,000 contacts,
    1,000 companies; `headers` log its admin in) and a second workspace's
    board of 8 stages × 50 deals with owner and contact (`board_headers`)."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    board_headers: dict[str, str]
    board: Any

    def board_read(self) -> Read:
        return Read(
            "board-8x50",
            board_query(with_contact=True),
            {"id": self.board.pipeline_id, "first": 50},
            self.board_headers,
        )


@contextlib.asynccontextmanager
async def seeded(backend: str, name: str) -> AsyncIterator[Seeded]:
    """A fresh database `name` (dropped afterwards), seeded, and an HTTP
    client on the ASGI app in this process: shared by the in-process read
    benches (this one, statement_cache_ab.py)."""
    from seed import seed

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    async with database(backend, name=name) as url:
        os.environ.update(server_env(url))
        settings = Settings.from_env()
        await open_database(settings, migrate=True)
        try:
            await seed(settings, contacts=10_000, companies=1_000)
            app = create_app(settings, migrate=False)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
                login = await http.post("/graphql", json={"query": LOG_IN_DOC, "variables": LOG_IN_VARS})
                headers = {"authorization": f"Bearer {login.json()['data']['logIn']['token']}"}
                api = Api.__new__(Api)
                api.http = http
                workspace = await seed_workspace(api, agents=3)
                board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
                board_headers = {"authorization": f"Bearer {workspace.admin.token}"}
                yield Seeded(http, headers, board_headers, board)
        finally:
            await close_database()


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {backend}", flush=True)
    async with seeded(backend, "revgraph_bench_hotpath") as bench:
        http, headers, board_headers = bench.http, bench.headers, bench.board_headers
        reads = [Read(f"contacts-{n}", CONTACTS, {"first": n}, headers) for n in PAGE_SIZES]
        reads += [Read("companies-50", COMPANIES, {"first": 50}, headers)]
        reads += [Read("me", "{ me { id } }", {}, headers)]
        reads += [Read("deals-50", DEALS, {"first": 50}, board_headers)]
        reads += [bench.board_read()]
        counted = {read.name: await statements(http, read) for read in reads}
        counted.update(
            {
                f"deals-{n}": await statements(http, Read("deals", DEALS, {"first": n}, board_headers))
                for n in PAGE_SIZES
            }
        )
        if args.profile:
            await profile(http, next(r for r in reads if r.name == args.profile), args)
            return {}
        load_before = os.getloadavg()[0]
        cpu = await cpu_ms(http, reads, args.blocks, args.per_block)
        load_after = os.getloadavg()[0]
    for name, ms in cpu.items():
        print(f"  {name:14} {ms:6.2f} CPU ms/request, {counted[name]} SQL statements", flush=True)
    print(f"  deals SQL statements, first=10/50/100: {[counted[f'deals-{n}'] for n in PAGE_SIZES]}")
    print(f"  load average {load_before:.2f} → {load_after:.2f}", flush=True)
    return {"cpu_ms": cpu, "statements": counted, "load": [load_before, load_after]}


async def profile(http: httpx.AsyncClient, read: Read, args: argparse.Namespace) -> None:
    """A pyinstrument (or cProfile) profile of 100 requests of one read."""
    for _ in range(20):
        await read.once(http)
    # The collector as `serve` sets it (web/gc_tuning.py): with Python's
    # own, full collections of the seeded process land on whatever call
    # allocates when they fall due, and the profile blames that call.
    from revgraph.web.gc_tuning import SERVING_THRESHOLDS, CollectorRequest, apply_collector

    apply_collector(CollectorRequest(True, SERVING_THRESHOLDS))
    if args.cprofile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(100):
            await read.once(http)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats(args.cprofile).print_stats(45)
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
        return
    from pyinstrument import Profiler

    with Profiler(async_mode="disabled", interval=0.0002) as profiler:
        for _ in range(100):
            await read.once(http)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"reads, CPU per request in-process — {today()}, {machine()}")
    forward = ["--blocks", str(args.blocks), "--per-block", str(args.per_block)]
    forward += ["--profile", args.profile] if args.profile else []
    forward += ["--cprofile", args.cprofile] if args.cprofile else []
    each_backend_in_a_child(
        args,
        run_backend,
        forward,
        results_name=f"read_cpu-{today()}",
        recorded={"blocks": args.blocks, "per_block": args.per_block},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="CPU per read, in-process")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--blocks", type=int, default=7, help="alternating blocks per read (median)")
    parser.add_argument("--per-block", type=int, default=30, help="requests per block")
    parser.add_argument("--profile", help="profile one read (e.g. contacts-50) instead of timing")
    parser.add_argument("--cprofile", help="with --profile: cProfile sorted by this key (e.g. tottime)")
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
