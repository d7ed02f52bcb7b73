"""Where a list's tail latency goes: the garbage collector's pauses during
sequential `contacts(first: N)` requests (or, with --board, the bench's board
query: 8 columns × 50 cards with owner and contact), timed with `gc.callbacks`.

In this process, through the ASGI app (no network, one request at a time),
on bench/seed.py's 10,000 contacts in a fresh SQLite file (or PostgreSQL):
for each collector setting, N requests; per request its wall time and the
time the collector spent inside it, per generation. Printed per setting:
p50/p99/max, collections per 100 requests and their mean/max pause per
generation, and how many of the slowest 1 % of requests held a full
(generation 2) collection.

    python bench/gc_pauses.py [--backend sqlite|postgres] [--requests 1500] [--first 50]
                              [--settings python serving] [--board]

With --board the database holds bench/board_common.py's board instead
(seed_workspace + seed_board through the API, as bench/board_instructions.py).

`python` is the interpreter's own collector (thresholds 700, 10, 10, nothing
frozen); `serving` is what `revgraph serve` sets (web/gc_tuning.py), and
`serving:g0,g1,g2` the same with other thresholds. Settings run one after
the other in this process, after 100 warm-up requests.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from typing import Any

import httpx
from board_common import percentile
from contacts_list import LOG_IN_DOC, LOG_IN_VARS, graphql_body
from harness import database, machine, server_env, today

PYTHON_THRESHOLDS = (700, 10, 10)


class PauseClock:
    """gc.callbacks: the pauses of each generation since the last `take`."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pauses: list[tuple[int, float]] = []

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self.started))

    def take(self) -> list[tuple[int, float]]:
        taken, self.pauses = self.pauses, []
        return taken


def apply(setting: str) -> None:
    gc.unfreeze()
    gc.set_threshold(*PYTHON_THRESHOLDS)
    gc.collect()
    if setting.startswith("serving"):
        from revgraph.web.gc_tuning import tune_collector

        _, _, thresholds = setting.partition(":")
        tune_collector({"REVGRAPH_GC_THRESHOLDS": thresholds} if thresholds else {})


async def run(
    http: httpx.AsyncClient, headers: dict[str, str], args: argparse.Namespace, setting: str, body: dict
) -> dict:
    apply(setting)
    clock = PauseClock()
    gc.callbacks.append(clock)
    requests: list[tuple[float, list[tuple[int, float]]]] = []
    try:
        for _ in range(args.requests):
            started = time.perf_counter()
            response = await http.post("/graphql", json=body, headers=headers)
            requests.append((time.perf_counter() - started, clock.take()))
            if response.status_code != 200:
                raise RuntimeError(response.text[:300])
    finally:
        gc.callbacks.remove(clock)
    walls = [wall for wall, _ in requests]
    p99 = percentile(walls, 99)
    slowest = [pauses for wall, pauses in requests if wall >= p99]
    result: dict[str, Any] = {
        "p50_ms": round(percentile(walls, 50) * 1e3, 1),
        "p99_ms": round(p99 * 1e3, 1),
        "max_ms": round(max(walls) * 1e3, 1),
        "slowest_with_full_collection": f"{sum(any(g == 2 for g, _ in p) for p in slowest)}/{len(slowest)}",
        "thresholds": gc.get_threshold(),
        "frozen": gc.get_freeze_count(),
    }
    for generation in range(3):
        pauses = [s for _, p in requests for g, s in p if g == generation]
        result[f"gen{generation}"] = {
            "per_100_requests": round(len(pauses) * 100 / len(requests), 1),
            "mean_ms": round(sum(pauses) / len(pauses) * 1e3, 2) if pauses else 0,
            "max_ms": round(max(pauses) * 1e3, 2) if pauses else 0,
        }
    return result


async def main(args: argparse.Namespace) -> None:
    from seed import seed

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    print(f"gc pauses — {today()}, {machine()}, load average {os.getloadavg()[0]:.2f}")
    async with database(args.backend, name="revgraph_bench_gc") as url:
        os.environ.update(server_env(url))
        settings = Settings.from_env()
        await open_database(settings, migrate=True)
        try:
            if not args.board:
                await seed(settings)
            app = create_app(settings, migrate=False)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
                if args.board:
                    from board_common import Api, board_query, seed_board, seed_workspace

                    api = Api.__new__(Api)
                    api.http = http
                    workspace = await seed_workspace(api, agents=3)
                    board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
                    token = workspace.admin.token
                    body = {
                        "query": board_query(with_contact=True),
                        "variables": {"id": board.pipeline_id, "first": 50},
                    }
                else:
                    login = await http.post("/graphql", json={"query": LOG_IN_DOC, "variables": LOG_IN_VARS})
                    token = login.json()["data"]["logIn"]["token"]
                    body = graphql_body(args.first)
                headers = {"authorization": f"Bearer {token}"}
                for _ in range(100):  # warm caches, as on a server in service
                    await http.post("/graphql", json=body, headers=headers)
                for setting in args.settings:
                    result = await run(http, headers, args, setting, body)
                    print(f"  {setting:8} {result}", flush=True)
        finally:
            await close_database()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="garbage-collector pauses in sequential list requests")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--settings", nargs="+", default=["python", "serving"])
    parser.add_argument("--board", action="store_true", help="the board query instead of contacts")
    asyncio.run(main(parser.parse_args()))
