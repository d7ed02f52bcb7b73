"""Automations, measured: 2,000 events through 5 rules, and the latency of a
stage automation, in the embedded mode and with Redis + 1 and 2 worker
processes.

For each mode the script:
1. starts from an empty database (SQLite file for `embedded`, PostgreSQL
   database `revgraph_bench_board` plus a Redis prefix of its own for
   `redis1`/`redis2`) and one `revgraph serve`; with Redis also `revgraph
   worker --processes N --threads 8`;
2. signs up and creates 5 rules on CONTACT_CREATED, one action each (a call
   task, two tags, a custom field, a second task): every event is 5 runs
   and 5 actions;
3. creates 2,000 contacts through GraphQL from 8 concurrent clients, and
   waits until the 10,000 runs have finished;
4. reads the runs back from the database: the first event's commit to the
   last action (and actions/s over that span), the last commit to the last
   action (how far the actions trail the writes), and per event the time
   from its row to the finish of its last run (p50/p99);
5. then a stage rule (DEAL_STAGE_CHANGED into "Em contato" → create task):
   100 deals moved one at a time, every 100 ms; latency = the task row's
   created_at − the move event's `at` (both stamped by RevGraph's
   processes on this machine's clock).

Everything (server, workers, PostgreSQL, Redis, this driver) shares the
machine's 2 cores.

    python bench/automations.py [--events 2000] [--modes embedded redis1 redis2] [--moves 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import subprocess
import time
from datetime import datetime
from typing import Any

from board_common import (
    CREATE_CONTACT,
    CREATE_DEAL,
    CREATE_PIPELINE,
    MOVE_DEAL,
    Api,
    database,
    drop_redis_prefix,
    exit_cleanly_on_sigterm,
    group_cpu_seconds,
    machine,
    percentile,
    redis_prefix,
    seed_workspace,
    server_env,
    serving,
    today,
    working,
)

CREATE_RULE = """
mutation($input: AutomationRuleInput!) {
  createAutomationRule(input: $input) { rule { id } userErrors { code message field } }
}
"""

CONTACT_RULES = [
    ("Ligar para o lead", {"createTask": {"title": "Ligar para {{contact.name}}", "dueInMinutes": 60}}),
    ("Marcar novo lead", {"addTag": {"tag": "novo-lead"}}),
    ("Marcar origem bench", {"addTag": {"tag": "bench"}}),
    (
        "Registrar origem",
        {"setField": {"field": "CONTACT_CUSTOM_FIELD", "customFieldKey": "origem", "value": "bench"}},
    ),
    (
        "Enviar material",
        {"createTask": {"title": "Enviar material a {{contact.name}}", "dueInMinutes": 1440}},
    ),
]
MODES = {"embedded": 0, "redis1": 1, "redis2": 2}


class Rows:
    """Reads runs, events and tasks straight from the database."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite://"):
            path = self.url.removeprefix("sqlite://")
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
                return conn.execute(sql).fetchall()
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()


def as_time(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value)).timestamp()


def spread_ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 50) * 1e3:.0f} ms, p99 {percentile(values, 99) * 1e3:.0f} ms, "
        f"max {max(values) * 1e3:.0f} ms"
    )


async def wait_finished(rows: Rows, expected: int, timeout: float) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while True:
        [(done, failed)] = await rows.fetch(
            "SELECT count(*) FILTER (WHERE status IN ('SUCCEEDED','FAILED','SKIPPED','EXITED')), "
            "count(*) FILTER (WHERE status = 'FAILED') FROM automation_run"
        )
        if done >= expected or time.monotonic() > deadline:
            return done, failed
        await asyncio.sleep(0.25)


async def one_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    processes = MODES[mode]
    backend = "sqlite" if processes == 0 else "postgres"
    prefix = redis_prefix() if processes else None
    async with database(backend) as url:
        env = server_env(url, redis_prefix=prefix)
        try:
            with serving(env) as server, working(env, processes) as worker:
                api = Api(server, connections=args.clients)
                try:
                    return await measure(mode, api, server, worker, Rows(url), args)
                finally:
                    await api.aclose()
        finally:
            if prefix:
                await drop_redis_prefix(prefix)


async def measure(
    mode: str, api: Api, server: Any, worker: subprocess.Popen | None, rows: Rows, args: argparse.Namespace
) -> dict[str, Any]:
    workspace = await seed_workspace(api)
    token = workspace.admin.token
    for name, action in CONTACT_RULES:
        await api.ok(
            CREATE_RULE,
            {"input": {"name": name, "trigger": {"kind": "CONTACT_CREATED"}, "actions": [action]}},
            token=token,
        )
    expected = args.events * len(CONTACT_RULES)
    pids = [server.pid] + ([worker.pid] if worker else [])
    cpu_before = [group_cpu_seconds(p) for p in pids]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(args.events):
        queue.put_nowait(index)

    async def client() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            contact = {"name": f"Lead {index}", "email": f"lead{index}@bench-auto.example"}
            await api.ok(CREATE_CONTACT, {"input": contact}, token=token)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    writes = time.perf_counter() - started
    done, failed = await wait_finished(rows, expected, args.timeout)
    cpu = [group_cpu_seconds(p) - b for p, b in zip(pids, cpu_before, strict=True)]
    runs = await rows.fetch(
        "SELECT r.event_id, r.finished_at, e.at FROM automation_run r JOIN event e ON e.id = r.event_id "
        "WHERE e.kind = 'contact.created' AND r.finished_at IS NOT NULL"
    )
    event_at: dict[int, float] = {}
    last_of_event: dict[int, float] = {}
    for event_id, finished_at, at in runs:
        event_at[event_id] = as_time(at)
        last_of_event[event_id] = max(last_of_event.get(event_id, 0.0), as_time(finished_at))
    first_commit = min(event_at.values())
    last_commit = max(event_at.values())
    last_action = max(last_of_event.values())
    per_event = [last_of_event[e] - event_at[e] for e in event_at]
    [(tasks,)] = await rows.fetch("SELECT count(*) FROM task")
    result = {
        "mode": mode,
        "events": args.events,
        "runs_finished": done,
        "runs_failed": failed,
        "tasks": tasks,
        "writes_seconds": writes,
        "first_commit_to_last_action": last_action - first_commit,
        "last_commit_to_last_action": last_action - last_commit,
        "actions_per_second": done / (last_action - first_commit),
        "per_event": per_event,
        "cpu": cpu,
    }
    print(
        f"-- {mode}: {args.events} events × {len(CONTACT_RULES)} rules: {done}/{expected} runs finished "
        f"({failed} failed), {tasks} tasks\n"
        f"  writes took {writes:.1f} s ({args.events / writes:.0f} contacts/s from {args.clients} clients)\n"
        f"  first commit → last action {result['first_commit_to_last_action']:.1f} s "
        f"({result['actions_per_second']:.0f} actions/s); last commit → last action "
        f"{result['last_commit_to_last_action']:.1f} s\n"
        f"  per event, commit → its 5th action done: {spread_ms(per_event)}\n"
        f"  CPU: server {cpu[0]:.1f} s"
        + (f", workers {cpu[1]:.1f} s" if len(cpu) > 1 else " (runs the actors)"),
        flush=True,
    )
    result["stage_task"] = await stage_latency(api, token, rows, args)
    return result


async def stage_latency(api: Api, token: str, rows: Rows, args: argparse.Namespace) -> list[float]:
    created = await api.ok(
        CREATE_PIPELINE,
        {"input": {"name": "Pré-vendas", "stages": [{"name": "Novo lead"}, {"name": "Em contato"}]}},
        token=token,
    )
    stages = created["createPipeline"]["pipeline"]["stages"]
    pipeline_id = created["createPipeline"]["pipeline"]["id"]
    trigger = {"kind": "DEAL_STAGE_CHANGED", "toStageId": stages[1]["id"]}
    action = {"createTask": {"title": "Ligar: {{deal.title}}", "dueInMinutes": 60}}
    await api.ok(
        CREATE_RULE, {"input": {"name": "Em contato", "trigger": trigger, "actions": [action]}}, token=token
    )
    deals = []
    for index in range(args.moves):
        data = await api.ok(
            CREATE_DEAL, {"input": {"title": f"Negócio {index}", "pipelineId": pipeline_id}}, token=token
        )
        deals.append(data["createDeal"]["deal"]["id"])
    [(before,)] = await rows.fetch("SELECT count(*) FROM automation_run")
    for deal in deals:
        tick = time.perf_counter()
        await api.ok(MOVE_DEAL, {"input": {"dealId": deal, "stageId": stages[1]["id"]}}, token=token)
        await asyncio.sleep(max(0.0, args.spacing - (time.perf_counter() - tick)))
    await wait_finished(rows, before + len(deals), args.timeout)
    pairs = await rows.fetch(
        "SELECT e.at, t.created_at FROM event e JOIN task t ON t.deal_id = e.deal_id "
        "WHERE e.kind = 'deal.stage_changed'"
    )
    latencies = [as_time(created_at) - as_time(at) for at, created_at in pairs]
    print(
        f"  stage automation, move → task row: {len(latencies)}/{len(deals)} tasks, {spread_ms(latencies)}",
        flush=True,
    )
    return latencies


async def main(args: argparse.Namespace) -> None:
    print(f"automations — {today()}, {machine()}", flush=True)
    results = [await one_mode(mode, args) for mode in args.modes]
    print(
        "\n| mode | runs | first commit → last action | actions/s | last commit → last action "
        "| per event p50 / p99 | move → stage task p50 / p99 |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        stage = r["stage_task"]
        print(
            f"| {r['mode']} | {r['runs_finished']} ({r['runs_failed']} failed) | "
            f"{r['first_commit_to_last_action']:.1f} s | {r['actions_per_second']:.0f} | "
            f"{r['last_commit_to_last_action']:.1f} s | "
            f"{percentile(r['per_event'], 50) * 1e3:.0f} / {percentile(r['per_event'], 99) * 1e3:.0f} ms | "
            f"{percentile(stage, 50) * 1e3:.0f} / {percentile(stage, 99) * 1e3:.0f} ms |"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--spacing", type=float, default=0.1, help="seconds between measured moves")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the runs to finish")
    exit_cleanly_on_sigterm()
    asyncio.run(main(parser.parse_args()))
