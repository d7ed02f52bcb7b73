"""The Kanban board query, measured: a pipeline of 8 stages × 50 cards
with owner (and contact, when Deal.contact exists).

For each backend (a fresh SQLite file; a fresh PostgreSQL database
`revgraph_bench_board`, dropped at the end):

1. start one `revgraph serve` pinned to core 0 and seed through the API
   three pipelines: 8 × 50, 1 × 50 and 8 × 10 cards;
2. count the SQL statements of one execution of the board query
   in-process (same database, `build_schema(settings).execute`, the
   statement counter of tests/conftest.py) for the three shapes, plus the
   bearer-token lookup an HTTP request adds: it must not grow with cards;
3. from core 1, keep 8 requests in flight until N (2,000) board queries
   were answered or 90 s passed, after a warm-up of 100: p50/p99/max,
   requests/s and the server's CPU time per request.

    python bench/board_query.py [--backend sqlite postgres] [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from typing import Any

import httpx
from board_common import (
    Api,
    Board,
    board_query,
    database,
    exit_cleanly_on_sigterm,
    has_field,
    machine,
    pin_self,
    seed_board,
    seed_workspace,
    server_env,
    serving,
    spread,
    today,
)

SHAPES = (("8 × 50", 50), ("1 × 50", 50), ("8 × 10", 10))
WARM_UP = 100


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


def check_board(data: dict[str, Any], stages: int, cards: int) -> None:
    """A benchmark of errors or empty columns measures nothing."""
    board = data["pipeline"]
    if len(board["stages"]) != stages:
        raise RuntimeError(f"expected {stages} stages, got {len(board['stages'])}")
    for stage in board["stages"]:
        edges = stage["deals"]["edges"]
        if len(edges) != cards or stage["dealCount"] != cards:
            raise RuntimeError(f"stage {stage['name']}: {len(edges)} cards, dealCount {stage['dealCount']}")
        if any(e["node"]["owner"] is None for e in edges):
            raise RuntimeError("a card without its owner")


async def count_sql(database_url: str, token: str, boards: dict[str, Board], query: str) -> dict[str, Any]:
    """Statements per execution of the board query, in this process."""
    from revgraph.resolvers.context import Context
    from revgraph.resolvers.credentials import authenticate
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.schema import build_schema

    settings = Settings.from_env(server_env(database_url))
    await open_database(settings, migrate=False)
    try:
        schema = build_schema(settings)
        with counting_statements() as auth_sql:
            actor = await authenticate(settings, token)
        assert actor is not None
        result: dict[str, Any] = {"bearer_lookup": len(auth_sql)}
        for shape, first in SHAPES:
            board = boards[shape]
            stages = len(board.stage_ids)
            variables = {"id": board.pipeline_id, "first": first}

            async def execute(variables: dict[str, Any] = variables) -> Any:
                context = {
                    "ctx": Context(settings, actor=actor),
                    "request": None,
                    "response": None,
                    "bad_token": False,
                    "transport": "bench",
                }
                return await schema.execute(query, variable_values=variables, context_value=context)

            await execute()  # parser/validation caches, as on a warm server
            with counting_statements() as sql:
                executed = await execute()
            if executed.errors:
                raise RuntimeError(f"GraphQL errors: {executed.errors}")
            check_board(executed.data, stages, first)
            result[shape] = len(sql)
            if shape == "8 × 50":
                result["statements_8x50"] = [" ".join(s.split())[:150] for s in sql]
        return result
    finally:
        await close_database()


async def load(
    url: str, token: str, body: dict[str, Any], requests: int, concurrency: int, max_seconds: float
) -> dict[str, Any]:
    """Keep `concurrency` board queries in flight until `requests` were
    answered or `max_seconds` passed (the script must stay under 5 minutes)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def run(total: int, seconds: float) -> tuple[list[float], int, float]:
            latencies: list[float] = []
            errors = 0
            remaining = total
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal remaining, errors
                while remaining > 0 and time.perf_counter() < deadline:
                    remaining -= 1
                    started = time.perf_counter()
                    response = await http.post("/graphql", json=body, headers=headers)
                    latencies.append(time.perf_counter() - started)
                    if response.status_code != 200 or b'"errors"' in response.content:
                        errors += 1

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return latencies, errors, time.perf_counter() - began

        await run(WARM_UP, max_seconds)
        latencies, errors, elapsed = await run(requests, max_seconds)
    return {**spread(latencies), "errors": errors, "rps": round(len(latencies) / elapsed, 1)}


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {backend}", flush=True)
    async with database(backend) as url:
        with serving(server_env(url), cpu=0) as server:
            api = Api(server)
            try:
                started = time.perf_counter()
                workspace = await seed_workspace(api, agents=3)
                boards = {
                    "8 × 50": await seed_board(api, workspace, stages=8, cards_per_stage=50, name="Vendas"),
                    "1 × 50": await seed_board(api, workspace, stages=1, cards_per_stage=50, name="Locação"),
                    "8 × 10": await seed_board(
                        api, workspace, stages=8, cards_per_stage=10, name="Lançamentos"
                    ),
                }
                with_contact = await has_field(api, "Deal", "contact")
                query = board_query(with_contact=with_contact)
                seconds = time.perf_counter() - started
                print(
                    f"  seeded 530 deals through the API in {seconds:.1f} s "
                    f"(contacts: {'yes' if boards['8 × 50'].with_contacts else 'no: createContact missing'}; "
                    f"Deal.contact selected: {'yes' if with_contact else 'no: field missing'})",
                    flush=True,
                )
                sample = await api.ok(
                    query, {"id": boards["8 × 50"].pipeline_id, "first": 50}, workspace.admin.token
                )
                check_board(sample, 8, 50)
            finally:
                await api.aclose()
            token = workspace.admin.token
            sql = await count_sql(url, token, boards, query)
            print(
                "  SQL statements per execution: "
                + ", ".join(f"{shape}: {sql[shape]}" for shape, _ in SHAPES)
                + f"  (+{sql['bearer_lookup']} for the bearer lookup of an HTTP request)",
                flush=True,
            )
            if args.show_sql:
                for line in sql["statements_8x50"]:
                    print("    SQL:", line)
            pin_self(1)
            body = {"query": query, "variables": {"id": boards["8 × 50"].pipeline_id, "first": 50}}
            cpu_before, load_before = server.cpu_seconds(), os.getloadavg()[0]
            result = await load(server.url, token, body, args.requests, args.concurrency, args.max_seconds)
            # Server CPU per request does not depend on what else the
            # machine runs; latency does (load average printed beside it).
            result["server_cpu_ms_per_request"] = round(
                (server.cpu_seconds() - cpu_before) / result["n"] * 1e3, 1
            )
            result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            result["server_rss_mib"] = round(server.rss_mib(), 1)
            print(
                f"  8 × 50 board over HTTP, {args.concurrency} in flight, {result['n']} requests: "
                f"{result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
                f"max {result['max_ms']} ms, {result['errors']} errors; server CPU "
                f"{result['server_cpu_ms_per_request']} ms/request; load average {result['load_average']}",
                flush=True,
            )
            return {"sql": sql, "load": result}


async def main(args: argparse.Namespace) -> None:
    print(f"board query — {today()}, {machine()}")
    print("  server pinned to core 0, load generator (httpx) on core 1")
    for backend in args.backend:
        await run_backend(backend, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="board query benchmark")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=90, help="cap of the measured run per backend")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the 8 × 50 board")
    exit_cleanly_on_sigterm()
    asyncio.run(main(parser.parse_args()))
