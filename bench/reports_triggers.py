"""What the reports' triggers on `deal` cost the write path, with against
without, rounds alternating (issue 11: the rollups may cost a write at most
20 %).

Per backend (a fresh SQLite file; a fresh PostgreSQL database with Redis,
as deployed), `revgraph serve` pinned to core 0, the client on core 1, a
server started for every round (after the database was readied for it):

1. `--moves`: moveDeal on one board (8 × 50 cards), 1 client then
   `--clients`, with and without migration 0036's triggers (the deal's loss
   reason, value and currency copied onto its stage entries: on the entry's
   insert, and on an update of those columns), through report_poll.py's
   `write_path`: p50/p99 and CPU per move of the server, plus on
   PostgreSQL the database backends' CPU (the triggers run there).
2. `--ops`: createDeal and then updateDeal(ownerId), one client,
   sequential, with and without migration 0035's triggers (contact_hand_off):
   each deal owned by an agent and naming a contact the admin owns (the
   insert trigger's every-time case: it adds a pair), then handed to the
   next agent (the update trigger computes the contact's pairs again).
   Server CPU (+ database CPU) per request, p50/p99.

The triggers are dropped from, and made again in, the database between
rounds with the migrations' own functions; the tables they keep go stale
meanwhile (nothing here reads them).

    python bench/reports_triggers.py [--backend sqlite postgres] [--moves 600] [--ops 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import os
import sqlite3
import statistics
import sys
import time
from types import SimpleNamespace
from typing import Any

from board_common import (
    BENCH,
    CREATE_CONTACT,
    CREATE_DEAL,
    CREATE_PIPELINE,
    LOG_IN,
    PASSWORD,
    Api,
    database,
    drop_redis_prefix,
    exit_cleanly_on_sigterm,
    machine,
    pin_self,
    redis_prefix,
    seed_workspace,
    server_env,
    stop_server,
    today,
)
from report_poll import SERVE, database_cpu, spawn, write_path

UPDATE_DEAL = """
mutation($id: ID!, $input: DealUpdateInput!) { updateDeal(id: $id, input: $input) { deal { id } userErrors { code message field } } }
"""
ROLLUPS = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
HAND_OFF = importlib.import_module("revgraph.models.migrations.0035_contact_hand_off")
CLOSED = importlib.import_module("revgraph.models.migrations.0036_entry_closed_figures")
COPIES = importlib.import_module("revgraph.models.migrations.0039_entry_copies_once")


class Client:
    """What the migrations' trigger functions need of a connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        dialect = "postgres" if url.startswith("postgres") else "sqlite"
        self.capabilities = SimpleNamespace(dialect=dialect)
        self.statements: list[str] = []

    async def execute_script(self, sql: str) -> None:
        self.statements.append(sql)

    async def run(self) -> None:
        if self.capabilities.dialect == "postgres":
            from reports_write import pg_connect

            conn = await pg_connect(self.url)
            try:
                for sql in self.statements:
                    await conn.execute(sql)
            finally:
                await conn.close()
        else:
            with sqlite3.connect(self.url[len("sqlite://") :]) as conn:
                for sql in self.statements:
                    conn.executescript(sql)


async def closed_triggers(env: dict[str, str], present: bool) -> None:
    """Migration 0036's triggers made (if absent) or dropped."""
    client = Client(env["REVGRAPH_DATABASE_URL"])
    editor = SimpleNamespace(client=client)
    await CLOSED.drop_triggers(None, editor)
    if present:
        await CLOSED.create_triggers(None, editor)
        await COPIES.copy_when_lacking(None, editor)  # SQLite's trigger as migration 0039 left it
    await client.run()


async def hand_off_triggers(env: dict[str, str], present: bool) -> None:
    """Migration 0035's triggers made (if absent) or dropped (its rows kept)."""
    client = Client(env["REVGRAPH_DATABASE_URL"])
    dialect = client.capabilities.dialect
    for table, made in HAND_OFF.triggers(dialect).items():
        await ROLLUPS._drop(client, table, made)
        if present:
            await ROLLUPS._create(client, dialect, table, made)
    await client.run()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def timed_requests(
    server, env, api: Api, token: str, requests: list[tuple[str, dict]]
) -> tuple[dict[str, Any], list[dict]]:
    latencies, answers = [], []
    before, database_before = server.cpu_seconds(), await database_cpu(env)
    for query, variables in requests:
        started = time.perf_counter()
        answers.append(await api.ok(query, variables, token=token))
        latencies.append((time.perf_counter() - started) * 1e3)
    cpu = (server.cpu_seconds() - before) * 1e3 / len(requests)
    found = {
        "n": len(requests),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "cpu_ms": round(cpu, 3),
    }
    database_after = await database_cpu(env)
    if database_after:
        spent = (
            sum(t - database_before.get(pid, 0.0) for pid, t in database_after.items()) * 1e3 / len(requests)
        )
        found["database_cpu_ms"] = round(spent, 3)
        found["total_cpu_ms"] = round(cpu + spent, 3)
    return found, answers


async def hand_off_path(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    server = spawn(env, SERVE)
    try:
        api = Api(server)
        workspace = await seed_workspace(api, agents=3, tag="triggers")
        token = workspace.admin.token
        created = await api.ok(
            CREATE_PIPELINE,
            {"input": {"name": "Gatilhos", "stages": [{"name": "Novo"}, {"name": "Visita"}]}},
            token=token,
        )
        pipeline = created["createPipeline"]["pipeline"]
        contacts = []
        for index in range(50):
            data = await api.ok(
                CREATE_CONTACT,
                {"input": {"name": f"Cliente {index}", "ownerId": workspace.admin.id}},
                token=token,
            )
            contacts.append(data["createContact"]["contact"]["id"])
        await api.aclose()
    finally:
        stop_server(server)
    agents = [agent.id for agent in workspace.agents]
    rounds: dict[str, list[dict[str, Any]]] = {"with_0035": [], "without_0035": []}
    for number in range(args.rounds * 2):
        present = number % 2 == 0
        variant = "with_0035" if present else "without_0035"
        await hand_off_triggers(env, present)
        server = spawn(env, SERVE)
        try:
            api = Api(server)
            logged = await api.ok(
                LOG_IN, {"input": {"email": "admin-triggers@bench-board.example", "password": PASSWORD}}
            )
            token = logged["logIn"]["token"]
            # warm up: the first requests of a new server compile and cache
            for index in range(10):
                await api.ok(
                    CREATE_DEAL,
                    {
                        "input": {
                            "title": f"Aquecimento {index}",
                            "pipelineId": pipeline["id"],
                            "value": "1.00",
                        }
                    },
                    token=token,
                )
            creates = [
                (
                    CREATE_DEAL,
                    {
                        "input": {
                            "title": f"Casa {number}-{index}",
                            "pipelineId": pipeline["id"],
                            "value": f"{100_000 + index}.00",
                            "ownerId": agents[index % len(agents)],
                            "contactId": contacts[index % len(contacts)],
                        }
                    },
                )
                for index in range(args.ops)
            ]
            measured = {}
            measured["createDeal"], answers = await timed_requests(server, env, api, token, creates)
            deal_ids = [answer["createDeal"]["deal"]["id"] for answer in answers]
            updates = [
                (UPDATE_DEAL, {"id": deal_id, "input": {"ownerId": agents[(index + 1) % len(agents)]}})
                for index, deal_id in enumerate(deal_ids)
            ]
            measured["updateDeal_owner"], _ = await timed_requests(server, env, api, token, updates)
            measured["load_average"] = round(os.getloadavg()[0], 2)
            await api.aclose()
        finally:
            stop_server(server)
        rounds[variant].append(measured)
        print(f"    {variant}: {measured}", flush=True)
    await hand_off_triggers(env, True)
    summary: dict[str, Any] = {}
    for operation in ("createDeal", "updateDeal_owner"):
        medians = {
            variant: {
                key: statistics.median(m[operation][key] for m in measured)
                for key in ("p50_ms", "p99_ms", "cpu_ms", "total_cpu_ms")
                if all(key in m[operation] for m in measured)
            }
            for variant, measured in rounds.items()
        }
        with_, without = medians["with_0035"], medians["without_0035"]
        total = "total_cpu_ms" if "total_cpu_ms" in with_ else "cpu_ms"
        summary[operation] = {
            **medians,
            "cpu_overhead_percent": round(100 * (with_[total] / without[total] - 1), 1),
            "p99_overhead_percent": round(100 * (with_["p99_ms"] / without["p99_ms"] - 1), 1),
        }
    return {"rounds": rounds, "summary": summary}


async def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"  {backend}", flush=True)
    prefix = redis_prefix() if backend == "postgres" else None
    name = os.environ.get("REVGRAPH_BENCH_REPORTS_TRIGGERS_DB", "revgraph_bench_reports_triggers")
    found: dict[str, Any] = {}
    async with database(backend, name=name) as url:
        env = server_env(url, redis_prefix=prefix)
        migrating = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVE, "migrate", env=env)
        if await migrating.wait():
            raise RuntimeError("revgraph migrate failed")
        if args.moves:
            found["move_deal_0036"] = await write_path(
                env,
                args,
                {"with_0036": SERVE, "without_0036": SERVE},
                prepare=lambda present: closed_triggers(env, present),
            )
            await closed_triggers(env, True)
            print(f"    moveDeal, 0036's triggers: {found['move_deal_0036']['summary']}", flush=True)
        if args.ops:
            found["hand_off_0035"] = await hand_off_path(env, args)
            print(
                f"    createDeal / owner change, 0035's triggers: {found['hand_off_0035']['summary']}",
                flush=True,
            )
    if prefix is not None:
        await drop_redis_prefix(prefix)
    return found


async def main(args: argparse.Namespace) -> None:
    print(f"reports' triggers on the write path — {today()}, {machine()}, load {os.getloadavg()[0]:.2f}")
    results = {backend: await run(backend, args) for backend in args.backend}
    out = BENCH / "results" / "reports_triggers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"date": today(), "machine": machine(), **results}, indent=2))
    print(f"  written to {out}")


if __name__ == "__main__":
    exit_cleanly_on_sigterm()
    pin_self(1)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--moves", type=int, default=600, help="0: no moveDeal part")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--ops", type=int, default=300, help="0: no createDeal/updateDeal part")
    parser.add_argument("--rounds", type=int, default=2)
    asyncio.run(main(parser.parse_args()))
