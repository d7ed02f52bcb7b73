"""Cheap polls, measured: what a dashboard's repeated report query costs the
server, and what the log position costs the write path.

Per backend (a fresh SQLite file with budgets in memory; a fresh PostgreSQL
database with budgets and the bus in Redis, as deployed), one `revgraph
serve` pinned to core 0, the client on core 1:

1. Polls over a few hundred conversations and 200 deals, one client,
   sequential, server CPU per request (utime + stime of the process), of
   `inboxReport` alone and of the Painel's whole poll (the dashboard page's
   one query: funnel, snapshot, deal, lead, inbox, appointment,
   distribution and activity reports), after `{ me { id } }` for scale:
   - first answers: every poll a new range (a slot of its own), computed;
   - repeated identical polls, nothing committed in between (POST);
   - the same as conditional GETs: If-None-Match → 304, no body.
2. `moveDeal` p50/p99 and CPU per move on one board (8 × 50 cards), one
   client (the statement's own cost) then 20 (the writers' commits wait for
   each other), with the log position as shipped, and with its UPDATE
   replaced by a no-op in the server process (the write path before it):
   rounds alternate, and the median round of each is reported; and the
   UPDATE alone, in the benchmark's process (a transaction moving the
   position against an empty one).

3. With `--rollups`, only what the funnel's rollups cost `moveDeal` (issue
   11: at most 20 %): the same rounds between the server as shipped and
   the server with the rollups taken out in its process — no cohort facts
   written with the transition (resolvers/stage_entries.py
   `record_transition` replaced by the transition's INSERT alone) and
   only the log's position moved, not the topics' (the write path before
   them), and the triggers on `deal` that keep the current
   deals per stage (migration 0033) dropped from the database for those
   rounds.

With `--rate R [R ...]`, each round of 2. and 3. also offers the 20
clients' moves at R per second, each R in turn (move_deal.move_load),
latency counted from when each move was due: 20 clients back to back keep
a single server's core saturated, so their p99 is a queue's (which the
rounds spread by ±40 % on PostgreSQL); paced below saturation, it is what
a move costs a user while others move (20/s: every client a move a second).
Each load's summary also gives the p50/p99 of every move of every round of
a variant (`pooled`): a round's p99 swings with the machine.

    python bench/report_poll.py [--backend sqlite postgres] [--polls 2000] [--moves 1500] [--rollups] [--rate 20 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from board_common import (
    BENCH,
    Api,
    Server,
    cpu_seconds,
    database,
    drop_redis_prefix,
    exit_cleanly_on_sigterm,
    free_port,
    machine,
    pin_self,
    redis_prefix,
    seed_board,
    seed_workspace,
    server_env,
    spread,
    stop_server,
    today,
    wait_healthy,
)
from move_deal import move_load, read_columns
from reports import run_seconds

# The server as shipped, or with the log position's UPDATE made a no-op.
SERVE = "import sys; from revgraph.web.cli import main; sys.exit(main(sys.argv[1:]))"
SERVE_WITHOUT_POSITION = (
    "import revgraph.resolvers.log_position as position\n"
    "async def unmoved(workspace_ids): return None\n"
    "position.advance = unmoved\n" + SERVE
)
SERVE_WITHOUT_ROLLUPS = (
    "import revgraph.resolvers.deals as deals\n"
    "import revgraph.resolvers.log_position as position\n"
    "from revgraph.resolvers.stage_entries import insert_transition\n"
    "deals.record_transition = insert_transition\n"
    "moving = position.advance\n"
    "async def log_only(changes): await moving({w: () for w in changes})\n"
    "position.advance = log_only\n" + SERVE
)
CREATE_INBOX = """
mutation($input: InboxInput!) { createInbox(input: $input) { inbox { id } userErrors { code message field } } }
"""
RECEIVE = """
mutation($input: ReceiveMessageInput!) {
  receiveMessage(input: $input) { conversation { id } userErrors { code message field } }
}
"""
SEND = """
mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } userErrors { code message field } } }
"""
RESOLVE = "mutation($id: ID!) { resolveConversation(id: $id) { conversation { id } userErrors { code message field } } }"
STATS = "count averageSeconds medianSeconds p90Seconds"
REPORT = f"""
query Dashboard($range: ReportRange!) {{
  inboxReport(range: $range) {{
    conversations resolved
    firstResponse {{ {STATS} }} waitTime {{ {STATS} }} handleTime {{ {STATS} }} resolution {{ {STATS} }}
    slaMet slaBreached csatAverage csatResponses
  }}
}}
"""
ME = "query { me { id } }"


def spawn(env: dict[str, str], code: str) -> Server:
    """`revgraph serve` through `python -c code`, pinned to core 0."""
    port = free_port()
    argv = [sys.executable, "-c", code, "serve", "--port", str(port), "--log-level", "warning"]
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(process.pid, {0})
    server = Server(process, port, log)
    # At a load of 15-21 on this machine a server took over 90 s to answer.
    wait_healthy(server, 300)
    return server


async def seed_inbox(api: Api, token: str, conversations: int) -> None:
    """`conversations` conversations: a third answered, a third also resolved."""
    inbox = (await api.ok(CREATE_INBOX, {"input": {"name": "WhatsApp vendas", "channel": "API"}}, token))[
        "createInbox"
    ]["inbox"]
    gate = asyncio.Semaphore(4)

    async def one(number: int) -> None:
        async with gate:
            received = await api.ok(
                RECEIVE,
                {
                    "input": {
                        "inboxId": inbox["id"],
                        "from": {"name": f"Cliente {number}", "phone": f"+55119{number:08d}"},
                        "body": "Olá, quero saber do apartamento",
                        "externalId": f"bench-{number}",
                    }
                },
                token,
            )
            conversation = received["receiveMessage"]["conversation"]["id"]
            if number % 3:
                await api.ok(SEND, {"input": {"conversationId": conversation, "body": "Olá!"}}, token)
            if number % 3 == 2:
                await api.ok(RESOLVE, {"id": conversation}, token)

    await asyncio.gather(*(one(n) for n in range(conversations)))


def day_range(shift_seconds: int = 0) -> dict[str, str]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1) + timedelta(seconds=shift_seconds)
    return {"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()}


async def sequential(
    server: Server, requests: list[tuple[str, dict[str, Any]]], expect: int
) -> dict[str, Any]:
    """Send `requests` one after another ((method, httpx kwargs)); server CPU
    per request and latency."""
    latencies = []
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        before, ran = server.cpu_seconds(), run_seconds(server.pid)
        for method, kwargs in requests:
            started = time.perf_counter()
            response = await http.request(method, "/graphql", **kwargs)
            latencies.append(time.perf_counter() - started)
            if response.status_code != expect or (expect == 200 and response.json().get("errors")):
                raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
        cpu, ran = server.cpu_seconds() - before, run_seconds(server.pid) - ran
    return {
        **spread(latencies),
        "cpu_ms_per_request": round(cpu * 1e3 / len(requests), 3),
        # The same to the nanosecond (utime + stime come in 10 ms ticks).
        "run_ms_per_request": round(ran * 1e3 / len(requests), 3),
    }


def painel_document() -> str:
    """The dashboard page's own poll (web/static/js/dashboard-documents.js:
    every card in one query), its template placeholders filled in."""
    source = (BENCH.parent / "web" / "static" / "js" / "dashboard-documents.js").read_text()
    parts = dict(re.findall(r'const (\w+) = "([^"]*)";', source))
    document = re.search(r"export const DASHBOARD = `(.*?)`;", source, re.S).group(1)
    return re.sub(r"\$\{(\w+)\}", lambda m: parts[m.group(1)], document)


def painel_variables(pipeline_id: str, range_: dict[str, str]) -> dict[str, Any]:
    return {
        "pipelineId": pipeline_id,
        "range": range_,
        "period": "DAY",
        "visitPeriod": "DAY",
        "withFunnel": True,
    }


async def polls(server: Server, token: str, count: int, pipeline_id: str) -> dict[str, Any]:
    """CPU per request of `me`, then for inboxReport alone and for the
    Painel's whole poll: first answers (each poll a new range), repeated
    POSTs and repeated conditional GETs (304)."""
    auth = {"authorization": f"Bearer {token}"}
    me = ("POST", {"json": {"query": ME}, "headers": auth})
    results: dict[str, Any] = {"me": await sequential(server, [me] * count, 200)}
    documents = {
        "inboxReport": (REPORT, lambda range_: {"range": range_}),
        "painel": (painel_document(), lambda range_: painel_variables(pipeline_id, range_)),
    }
    for name, (document, variables_of) in documents.items():
        variables = variables_of(day_range())
        first = [
            (
                "POST",
                {"json": {"query": document, "variables": variables_of(day_range(n + 1))}, "headers": auth},
            )
            for n in range(max(count // 10, 50))
        ]
        results[f"{name}_first_answer"] = await sequential(server, first, 200)
        post = ("POST", {"json": {"query": document, "variables": variables}, "headers": auth})
        await sequential(server, [post], 200)  # the answer the repeats find
        results[f"{name}_repeated_post"] = await sequential(server, [post] * count, 200)
        params = {"query": document, "variables": json.dumps(variables)}
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            etag = (await http.get("/graphql", params=params, headers=auth)).headers["etag"]
        conditional = ("GET", {"params": params, "headers": {**auth, "if-none-match": etag}})
        results[f"{name}_repeated_get_304"] = await sequential(server, [conditional] * count, 304)
    return results


async def database_cpu(env: dict[str, str]) -> dict[int, float]:
    """PostgreSQL: CPU seconds so far of each backend process connected to
    the server's database (the triggers of migration 0031 run there, not in
    the server's process); SQLite: none (it runs inside the server)."""
    url = env.get("REVGRAPH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return {}
    from reports_write import pg_connect

    conn = await pg_connect(url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    found = {}
    for row in rows:
        try:
            found[row["pid"]] = cpu_seconds(row["pid"])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


async def current_triggers(env: dict[str, str], present: bool) -> None:
    """The triggers on `deal` that keep the funnel's current deals
    (migration 0033's stage_current) made, or dropped: they fire on the
    deal's own UPDATE, which no monkeypatch in the server can take out, so
    the rounds without the rollups run with them dropped from the database
    (the table goes stale meanwhile; nothing here reads it)."""
    import importlib

    migration = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
    url = env["REVGRAPH_DATABASE_URL"]
    dialect = "postgres" if url.startswith("postgres") else "sqlite"
    statements = []
    for name, event, condition, body in migration.current_triggers(dialect):
        if dialect == "postgres":
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON deal")
            if present:
                statements.append(
                    f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger AS $$ BEGIN {'; '.join(body)}; "
                    "RETURN NULL; END $$ LANGUAGE plpgsql"
                )
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {event} ON deal FOR EACH ROW WHEN ({condition}) "
                    f"EXECUTE FUNCTION {name}_fn()"
                )
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            if present:
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {event} ON deal FOR EACH ROW WHEN {condition} "
                    f"BEGIN {'; '.join(body)}; END"
                )
    if dialect == "postgres":
        from reports_write import pg_connect

        conn = await pg_connect(url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()
    else:
        import sqlite3

        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            for statement in statements:
                conn.execute(statement)


def loads(args: argparse.Namespace) -> list[tuple[int, int, float | None]]:
    """(clients, moves, rate) of each load of a write_path round: one client,
    then `--clients` back to back, then (with `--rate`) `--clients` offered
    that many moves per second, per rate (move_deal.move_load)."""
    found: list[tuple[int, int, float | None]] = [
        (1, args.moves, None),
        (args.clients, args.moves, None),
    ]
    found.extend((args.clients, args.moves, rate) for rate in args.rate)
    return found


def load_name(clients: int, rate: float | None) -> str:
    return f"{clients}_clients" if rate is None else f"{clients}_clients_at_{rate:g}_per_s"


async def write_path(
    env: dict[str, str],
    args: argparse.Namespace,
    variants: dict[str, str] | None = None,
    prepare: Any = None,
) -> dict[str, Any]:
    """moveDeal rounds alternating between two servers (`variants`: name →
    code; by default with and without the position's UPDATE), the first
    compared with the second; `prepare(with_variant)`, when given, readies
    the database before each round's server starts."""
    variants = variants or {"with_position": SERVE, "without_position": SERVE_WITHOUT_POSITION}
    (with_name, with_code), (without_name, without_code) = variants.items()
    server = spawn(env, SERVE)
    try:
        api = Api(server)
        workspace = await seed_workspace(api, agents=3, tag="moves")
        board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
        await api.aclose()
    finally:
        stop_server(server)
    rounds: dict[str, list[dict[str, Any]]] = {with_name: [], without_name: []}
    # Every move of every round, per variant and load: the p99 of a round's
    # 400 moves swings with the machine from round to round (2026-12-07 on
    # the AMD machine: 403–881 ms for the same build); the pooled one is
    # the distribution's.
    pooled: dict[str, dict[str, list[float]]] = {
        with_name: defaultdict(list),
        without_name: defaultdict(list),
    }
    for number in range(args.rounds * 2):
        variant = with_name if number % 2 == 0 else without_name
        if prepare is not None:
            await prepare(variant == with_name)
        server = spawn(env, with_code if variant == with_name else without_code)
        try:
            api = Api(server)
            token = (
                await api.ok(
                    "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
                    {"i": {"email": "admin-moves@bench-board.example", "password": "bench-password"}},
                )
            )["logIn"]["token"]
            measured = {}
            for clients, moves, rate in loads(args):
                columns, _ = await read_columns(api, token, board.stage_ids)
                before, database_before = server.cpu_seconds(), await database_cpu(env)
                load = await move_load(server.url, token, columns, moves, clients, seed=number, rate=rate)
                pooled[variant][load_name(clients, rate)].extend(load.pop("latencies"))
                load["cpu_ms_per_move"] = round((server.cpu_seconds() - before) * 1e3 / moves, 3)
                database_after = await database_cpu(env)
                if database_after:
                    # Backends alive at the end (the pool's): their CPU since
                    # the start, or since they began.
                    spent = sum(t - database_before.get(pid, 0.0) for pid, t in database_after.items())
                    load["database_cpu_ms_per_move"] = round(spent * 1e3 / moves, 3)
                    load["total_cpu_ms_per_move"] = round(load["cpu_ms_per_move"] + spent * 1e3 / moves, 3)
                load["load_average"] = round(os.getloadavg()[0], 2)
                measured[load_name(clients, rate)] = load
            await api.aclose()
        finally:
            stop_server(server)
        rounds[variant].append(measured)
        print(f"    {variant}: {measured}", flush=True)
    summary: dict[str, Any] = {}
    for load in (load_name(clients, rate) for clients, _, rate in loads(args)):
        medians = {
            variant: {
                key: statistics.median(m[load][key] for m in measured)
                for key in ("p50_ms", "p99_ms", "rps", "cpu_ms_per_move", "total_cpu_ms_per_move")
                if all(key in m[load] for m in measured)
            }
            for variant, measured in rounds.items()
        }
        with_, without = medians[with_name], medians[without_name]
        all_moves = {variant: spread(pooled[variant][load]) for variant in (with_name, without_name)}
        summary[load] = {
            **medians,
            "p99_overhead_percent": round(100 * (with_["p99_ms"] / without["p99_ms"] - 1), 1),
            "pooled": all_moves,
            "pooled_p99_overhead_percent": round(
                100 * (all_moves[with_name]["p99_ms"] / all_moves[without_name]["p99_ms"] - 1), 1
            ),
            "pooled_p50_overhead_percent": round(
                100 * (all_moves[with_name]["p50_ms"] / all_moves[without_name]["p50_ms"] - 1), 1
            ),
            "p50_overhead_percent": round(100 * (with_["p50_ms"] / without["p50_ms"] - 1), 1),
            "cpu_overhead_percent": round(
                100 * (with_["cpu_ms_per_move"] / without["cpu_ms_per_move"] - 1), 1
            ),
        }
        if "total_cpu_ms_per_move" in with_:
            summary[load]["total_cpu_overhead_percent"] = round(
                100 * (with_["total_cpu_ms_per_move"] / without["total_cpu_ms_per_move"] - 1), 1
            )
    return {"rounds": rounds, "summary": summary}


async def statement_cost(url: str, batches: int = 30, transactions: int = 100) -> dict[str, Any]:
    """The position's UPDATE alone, in this process: a transaction that
    writes a row and moves the workspace's position, against one that only
    writes the row (its commit must flush either way), wall and CPU time."""
    from tortoise.expressions import F
    from tortoise.transactions import in_transaction

    from revgraph.models.identity import Workspace
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.log_position import advance
    from revgraph.resolvers.settings import Settings

    settings = Settings.from_env({"REVGRAPH_DATABASE_URL": url, "REVGRAPH_SECRET_KEY": "bench"})
    await open_database(settings, migrate=False)
    try:
        workspace_id = (await Workspace.first()).id

        async def writing() -> None:
            async with in_transaction():
                await Workspace.filter(id=workspace_id).update(lead_lock_days=F("lead_lock_days") + 1)

        async def moving() -> None:
            async with in_transaction():
                await Workspace.filter(id=workspace_id).update(lead_lock_days=F("lead_lock_days") + 1)
                await advance([workspace_id])

        # Batches alternate, and the median difference is kept: on a busy
        # machine one long run of each says more about the neighbours.
        differences: list[tuple[float, float]] = []
        for _ in range(batches):
            timed = []
            for body in (writing, moving):
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(transactions):
                    await body()
                timed.append((time.perf_counter() - wall, time.process_time() - cpu))
            differences.append((timed[1][0] - timed[0][0], timed[1][1] - timed[0][1]))
    finally:
        await close_database()
    return {
        "wall_ms_per_write": round(statistics.median(d[0] for d in differences) * 1e3 / transactions, 3),
        "cpu_ms_per_write": round(statistics.median(d[1] for d in differences) * 1e3 / transactions, 3),
    }


async def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"  {backend}", flush=True)
    prefix = redis_prefix() if backend == "postgres" else None
    name = os.environ.get("REVGRAPH_BENCH_REPORT_POLL_DB", "revgraph_bench_report_poll")
    async with database(backend, name=name) as url:
        env = server_env(url, redis_prefix=prefix)
        if os.environ.get("REVGRAPH_DATABASE_POOL_SIZE"):
            # server_env keeps no REVGRAPH_ variable: on a shared PostgreSQL
            # the servers' pool is the caller's (20 by default).
            env["REVGRAPH_DATABASE_POOL_SIZE"] = os.environ["REVGRAPH_DATABASE_POOL_SIZE"]
        if args.rollups:
            # Migrated first: from zero that took over the servers' 90 s
            # health wait on this loaded machine.
            migrating = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVE, "migrate", env=env)
            if await migrating.wait():
                raise RuntimeError("revgraph migrate failed")
            moves = await write_path(
                env,
                args,
                {"with_rollups": SERVE, "without_rollups": SERVE_WITHOUT_ROLLUPS},
                prepare=lambda present: current_triggers(env, present),
            )
            print(f"    moveDeal: {moves['summary']}", flush=True)
            if prefix is not None:
                await drop_redis_prefix(prefix)
            return {"move_deal_rollups": moves}
        server = spawn(env, SERVE)
        try:
            api = Api(server)
            workspace = await seed_workspace(api, agents=3, tag="polls")
            await seed_inbox(api, workspace.admin.token, args.conversations)
            board = await seed_board(api, workspace, stages=8, cards_per_stage=args.deals // 8)
            await api.aclose()
            measured = await polls(server, workspace.admin.token, args.polls, board.pipeline_id)
        finally:
            stop_server(server)
        for name, figures in measured.items():
            print(f"    {name}: {figures}", flush=True)
        if not args.moves:
            if prefix is not None:
                await drop_redis_prefix(prefix)
            return {"polls": measured}
        moves = await write_path(env, args)
        print(f"    moveDeal: {moves['summary']}", flush=True)
        moves["statement"] = await statement_cost(url)
        print(f"    the position's UPDATE alone: {moves['statement']}", flush=True)
    if prefix is not None:
        await drop_redis_prefix(prefix)
    return {"polls": measured, "move_deal": moves}


async def main(args: argparse.Namespace) -> None:
    print(f"report polls — {today()}, {machine()}")
    print(f"  {args.conversations} conversations, {args.polls} polls a row; moveDeal {args.clients} clients")
    results = {backend: await run(backend, args) for backend in args.backend}
    out = BENCH / "results" / ("rollup_write.json" if args.rollups else "report_poll.json")
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
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--moves", type=int, default=1500, help="0: the polls part only")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--rate",
        type=float,
        nargs="*",
        default=[],
        help="also offer the --clients' moves at each of these many per second (latency below saturation)",
    )
    parser.add_argument("--rollups", action="store_true", help="only moveDeal with and without the rollups")
    asyncio.run(main(parser.parse_args()))
