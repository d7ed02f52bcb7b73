"""Faults under load (RELIABILITY.md, "Work that must not be lost"): two
`revgraph serve` processes and one `revgraph worker` on PostgreSQL + Redis,
under a mixed workload, while the bench restarts Redis, SIGKILLs the worker,
SIGKILLs an API process and blocks PostgreSQL. Afterwards nothing committed
may be lost or doubled.

Set-up (loopback only, everything removed at the end): a fresh database
`revgraph_bench_faults_<run>` on the shared PostgreSQL, reached by RevGraph
through a pausable TCP proxy of the bench's own; a redis-server of the
bench's own on a free port, with an append-only file as docker-compose.yml
runs it (`--redis-no-persistence`: none, so its restart loses every key);
a key prefix of the run's own. Seeded through the API: an admin and 3
agents, a board of 4 stages × 25 cards, an OFFLINE round-robin queue of the
agents, and two automation rules, each creating a task:
LEAD_CAPTURED (→ "Ligar para …") and DEAL_STAGE_CHANGED into "Em contato"
(→ "Retornar: …").

Load, for `--duration` seconds (default 180; `--quick`: 40): `--clients`
closed-loop HTTP clients alternating between the two servers — contacts
lists (25 %), the board (15 %), moveDeal of a random card to a random stage
(35 %), captureLead of a new person through the queue (25 %) — and
`--subscribers` admins on boardEvents over graphql-transport-ws, half on
each server, each dropping its connection every ~20 s (and whenever its
server dies) and resuming with `since:` its last sequence.

Faults, at fixed fractions of the run: 15 % Redis SIGKILLed with a backlog
queued (the worker is SIGSTOPped 3 s before, so messages wait in Redis)
and restarted 3 s later, then the worker SIGCONTed; 35 % the worker's
process group SIGKILLed, a new worker 2 s later; 55 % API process 2
SIGKILLed and restarted on its port; 75 % PostgreSQL blocked for 5 s (the
proxy stops forwarding, both ways, and holds new connections).

Then, with the load stopped: the outbox must drain, the runs settle and
every subscriber reach the board's last sequence. Checks, printed:
- the board log is gap-free, and every subscriber received exactly its
  sequences since it first subscribed, once each, in order;
- every LEAD_CAPTURED and every stage-change-into-"Em contato" event has
  exactly one run per rule, SUCCEEDED, and exactly one task per event
  (per contact / per deal), none extra;
- every acknowledged captureLead's contact exists with its lead.captured
  event; every deal has at least as many board events as acknowledged moves;
- no HTTP 5xx or INTERNAL error, except on the killed process while it was
  dead (connection errors there are expected and counted);
- every event of a webhook type after the seeding reached the bench's
  receiver through an endpoint subscribed to all types, its delivery
  SUCCEEDED, first receipts in log order, a webhook-id received twice only
  across a worker kill (bench/fault_webhooks.py);
- RSS of the API processes: start, end and peak per process.
Throughput (answered requests/s), p50/p99 latency per operation (all, and
outside the fault windows) and what was lost are printed and written to
bench/results/faults-<time>.json. Exit status 1 if anything was lost,
doubled or answered with a server error.

    python bench/faults.py [--quick] [--duration 180] [--clients 6] [--subscribers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import websockets
from board_common import (
    BENCH,
    PG_ADMIN_URL,
    Api,
    board_query,
    database,
    exit_cleanly_on_sigterm,
    machine,
    seed_board,
    seed_workspace,
    server_env,
    today,
)
from fault_checks import (
    LEAD_TASK,
    MIX,
    STAGE_TASK,
    Request,
    Run,
    Subscriber,
    check_automations,
    check_subscribers,
    check_writes,
    fetch,
    memory_report,
    report,
    settle,
    summarise_requests,
)
from fault_rig import Cluster, own_redis, pg_proxy
from fault_webhooks import WebhookSink, check_webhooks, create_endpoint, settle_webhooks

from revgraph.resolvers.ids import pk_of

CONTACTS = """
query { contacts(first: 50) { totalCount edges { node { id name email tags owner { name } } } } }
"""
MOVE = """
mutation($input: MoveDealInput!) { moveDeal(input: $input) { deal { id version } userErrors { code message } } }
"""
CAPTURE = """
mutation($input: CaptureLeadInput!) {
  captureLead(input: $input) { contact { id } created userErrors { code message } }
}
"""
CREATE_QUEUE = """
mutation($input: QueueInput!) { createQueue(input: $input) { queue { id } userErrors { code message } } }
"""
CREATE_RULE = """
mutation($input: AutomationRuleInput!) {
  createAutomationRule(input: $input) { rule { id } userErrors { code message field } }
}
"""
BOARD_EVENTS = """
subscription($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) { sequence kind dealId toStageId }
}
"""
# The worker is stopped this long before Redis is killed, so messages wait there.
BACKLOG_SECONDS = 3.0
FAULTS = [  # (fraction of the run, fault, seconds it lasts)
    (0.15, "Redis SIGKILL", 3.0),
    (0.35, "worker SIGKILL", 2.0),
    (0.55, "API 2 SIGKILL", 0.0),
    (0.75, "PostgreSQL blocked", 5.0),
]


# ---------------------------------------------------------------- load


async def client(
    index: int, urls: list[str], token: str, plan: dict[str, Any], run: Run, stop: asyncio.Event
) -> None:
    """A closed-loop client: one request at a time, alternating servers."""
    rng = random.Random(index)
    ops = [op for op, weight in MIX for _ in range(weight)]
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:
        turn = index
        while not stop.is_set():
            turn += 1
            server = turn % len(urls)
            op = rng.choice(ops)
            body, deal_pk = request_body(op, plan, rng, index)
            started = time.monotonic()
            try:
                response = await http.post(urls[server] + "/graphql", json=body)
            except httpx.HTTPError as exc:
                run.requests.append(
                    Request(op, server, started, time.monotonic(), f"conn:{type(exc).__name__}")
                )
                await asyncio.sleep(0.05)  # a dead server refuses at once: do not spin
                continue
            ended = time.monotonic()
            outcome, detail = classify(response)
            run.requests.append(Request(op, server, started, ended, outcome, detail))
            if outcome == "ok" and op == "captureLead":
                run.captured.append(response.json()["data"]["captureLead"]["contact"]["id"])
            if outcome == "ok" and op == "moveDeal":
                run.moves[deal_pk] += 1


def request_body(op: str, plan: dict[str, Any], rng: random.Random, client_index: int) -> tuple[dict, int]:
    if op == "contacts":
        return {"query": CONTACTS}, 0
    if op == "board":
        return {"query": plan["board_query"], "variables": {"id": plan["pipeline_id"], "first": 25}}, 0
    if op == "moveDeal":
        deal = rng.choice(plan["deals"])
        move = {"dealId": deal, "stageId": rng.choice(plan["stages"])}
        return {"query": MOVE, "variables": {"input": move}}, pk_of(deal, "Deal") or 0
    plan["captures"] += 1
    person = f"{plan['tag']}-{client_index}-{plan['captures']}"
    lead = {
        "name": f"Lead {person}",
        "email": f"lead-{person}@bench-faults.example",
        "source": rng.choice(["form", "whatsapp", "site"]),
        "queueId": plan["queue_id"],
    }
    return {"query": CAPTURE, "variables": {"input": lead}}, 0


def classify(response: httpx.Response) -> tuple[str, str]:
    if response.status_code != 200:
        return f"http:{response.status_code}", response.text[:300]
    try:
        body = response.json()
    except ValueError:
        return "http:200-not-json", response.text[:300]
    if body.get("errors"):
        codes = sorted({(e.get("extensions") or {}).get("code", "?") for e in body["errors"]})
        return f"error:{','.join(codes)}", json.dumps(body["errors"])[:300]
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict) and payload.get("userErrors"):
            return "refused", json.dumps(payload["userErrors"])[:300]
    return "ok", ""


# ---------------------------------------------------------------- subscribers


async def subscribe(
    sub: Subscriber,
    ws_urls: list[str],
    token: str,
    pipeline_id: str,
    stop: asyncio.Event,
    target: dict[str, int],
    drop_every: float,
) -> None:
    """Stay subscribed until the load stopped and the board's last sequence
    arrived: reconnect (home server first, then the other) after every
    drop, voluntary or not, resuming with since: the last sequence seen."""
    home = sub.index % len(ws_urls)
    attempt = 0
    while not (stop.is_set() and sub.last >= target.get("sequence", 1 << 62)):
        url = ws_urls[(home + attempt) % len(ws_urls)]
        drop_at = time.monotonic() + drop_every * random.Random(sub.index * 1000 + attempt).uniform(0.5, 1.5)
        try:
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=5) as ws:
                init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                await ws.send(json.dumps(init))
                ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if ack.get("type") != "connection_ack":
                    sub.problems.append(f"no ack: {ack}")
                    raise ConnectionError("no ack")
                variables = {"pipelineId": pipeline_id, "since": sub.last}
                await ws.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": BOARD_EVENTS, "variables": variables},
                        }
                    )
                )
                sub.connections += 1
                attempt = 0
                while not (stop.is_set() and sub.last >= target.get("sequence", 1 << 62)):
                    if time.monotonic() > drop_at and not stop.is_set():
                        break  # a voluntary drop: resume with since
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 0.5)
                    except TimeoutError:
                        continue
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind == "next":
                        payload = message["payload"]
                        if payload.get("errors"):
                            sub.problems.append(f"errors in next: {payload['errors']}"[:300])
                            continue
                        sub.received.append(payload["data"]["boardEvents"]["sequence"])
                    elif kind in ("error", "complete"):
                        sub.problems.append(f"{kind}: {message}"[:300])
                        break
        except (OSError, websockets.WebSocketException, TimeoutError, ConnectionError):
            attempt += 1
            await asyncio.sleep(0.2)


# ---------------------------------------------------------------- faults and memory


async def inject_faults(cluster: Cluster, redis_server: Any, proxy: Any, run: Run, duration: float) -> None:
    for fraction, fault, lasts in FAULTS:
        await asyncio.sleep(max(0.0, run.t0 + fraction * duration - time.monotonic()))
        window = run.window(fault)
        print(f"  {time.monotonic() - run.t0:6.1f} s  {fault}", flush=True)
        if fault == "Redis SIGKILL":
            cluster.pause_worker(True)
            await asyncio.sleep(BACKLOG_SECONDS)
            queued = await queued_messages(redis_server.url, cluster.env["REVGRAPH_REDIS_PREFIX"])
            redis_server.kill()
            print(
                f"  {time.monotonic() - run.t0:6.1f} s  killed Redis with {queued} messages queued",
                flush=True,
            )
            await asyncio.sleep(lasts)
            await asyncio.to_thread(redis_server.start)
            cluster.pause_worker(False)
        elif fault == "worker SIGKILL":
            await asyncio.to_thread(cluster.kill_worker)
            await asyncio.sleep(lasts)
            cluster.start_worker()
        elif fault == "API 2 SIGKILL":
            cluster.kill_server(1)
            await asyncio.to_thread(cluster.restart_server, 1)
        elif fault == "PostgreSQL blocked":
            proxy.pause()
            await asyncio.sleep(lasts)
            proxy.resume()
        window.ended = time.monotonic()
        print(
            f"  {time.monotonic() - run.t0:6.1f} s  {fault}: over after {window.ended - window.started:.1f} s",
            flush=True,
        )


async def queued_messages(url: str, prefix: str) -> int:
    """Messages Dramatiq holds in Redis (queued or taken and not acked)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}-tasks:*.msgs")]
        return sum([await client.hlen(k) for k in keys])
    finally:
        await client.aclose()


def rss_mib(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


async def sample_memory(cluster: Cluster, run: Run, stop: asyncio.Event) -> None:
    """RSS of each API process incarnation, every second."""
    while not stop.is_set():
        for index, server in enumerate(cluster.servers):
            value = rss_mib(server.pid)
            if value is not None and server.process.poll() is None:
                run.rss[f"API {index + 1} (pid {server.pid})"].append((time.monotonic() - run.t0, value))
        await asyncio.sleep(1.0)


# ---------------------------------------------------------------- the run


async def seed(api: Api) -> tuple[Any, dict[str, Any], dict[str, int], int]:
    workspace = await seed_workspace(api, agents=3)
    board = await seed_board(api, workspace, stages=4, cards_per_stage=25)
    token = workspace.admin.token
    queue = await api.ok(
        CREATE_QUEUE,
        {
            "input": {
                "name": "Roleta",
                "mode": "OFFLINE",
                "strategy": "ROUND_ROBIN",
                "members": [{"userId": a.id} for a in workspace.agents],
            }
        },
        token=token,
    )
    stage_id = board.stage_ids[1]  # "Em contato"
    lead_rule = await api.ok(
        CREATE_RULE,
        {
            "input": {
                "name": "Ligar para lead novo",
                "trigger": {"kind": "LEAD_CAPTURED"},
                "actions": [{"createTask": {"title": LEAD_TASK + "{{contact.name}}"}}],
            }
        },
        token=token,
    )
    stage_rule = await api.ok(
        CREATE_RULE,
        {
            "input": {
                "name": "Retornar em contato",
                "trigger": {"kind": "DEAL_STAGE_CHANGED", "toStageId": stage_id},
                "actions": [{"createTask": {"title": STAGE_TASK + "{{deal.title}}"}}],
            }
        },
        token=token,
    )
    rules = {
        "lead": pk_of(lead_rule["createAutomationRule"]["rule"]["id"], "AutomationRule") or 0,
        "stage": pk_of(stage_rule["createAutomationRule"]["rule"]["id"], "AutomationRule") or 0,
    }
    plan = {
        "pipeline_id": board.pipeline_id,
        "stages": board.stage_ids,
        "deals": list(board.deals),
        "queue_id": queue["createQueue"]["queue"]["id"],
        "board_query": board_query(with_contact=board.with_contacts),
        "tag": uuid.uuid4().hex[:6],
        "captures": 0,
    }
    return workspace, plan, rules, pk_of(stage_id, "Stage") or 0


async def main(args: argparse.Namespace) -> int:
    duration = args.duration or (40.0 if args.quick else 180.0)
    run_id = uuid.uuid4().hex[:8]
    print(f"faults under load — {today()}, {machine()}", flush=True)
    pg = urlparse(PG_ADMIN_URL)
    with (
        own_redis(persistent=not args.redis_no_persistence) as redis_server,
        pg_proxy(pg.hostname or "127.0.0.1", pg.port or 5432) as proxy,
    ):
        async with database("postgres", name=f"revgraph_bench_faults_{run_id}") as direct_url:
            through_proxy = urlunparse(
                urlparse(direct_url)._replace(netloc=f"{pg.username or 'postgres'}@127.0.0.1:{proxy.port}")
            )
            env = server_env(
                through_proxy, redis_prefix=f"rgbench-faults-{run_id}", redis_url=redis_server.url
            )
            cluster = Cluster(env)
            try:
                await asyncio.to_thread(cluster.start, 2)
                return await under_load(args, duration, cluster, redis_server, proxy, direct_url)
            except BaseException:
                print(cluster.logs())
                raise
            finally:
                cluster.stop()


async def under_load(
    args: argparse.Namespace, duration: float, cluster: Cluster, redis_server: Any, proxy: Any, url: str
) -> int:
    api = Api(cluster.servers[0])
    sink = await WebhookSink().start()
    try:
        workspace, plan, rules, stage_pk = await seed(api)
        endpoint_pk = await create_endpoint(api, workspace.admin.token, sink.url)
    finally:
        await api.aclose()
    [row] = await fetch(url, "SELECT coalesce(max(id), 0) AS id FROM event")
    watermark = row["id"]
    pipeline_pk = pk_of(plan["pipeline_id"], "Pipeline")
    [row] = await fetch(
        url, "SELECT coalesce(max(board_sequence), 0) AS s FROM event WHERE pipeline_id = $1", pipeline_pk
    )
    since = row["s"]
    token = workspace.admin.token
    urls = [s.url for s in cluster.servers]
    ws_urls = [s.ws_url for s in cluster.servers]
    print(
        f"  2 API processes (:{cluster.servers[0].port}, :{cluster.servers[1].port}) and a worker on PostgreSQL "
        f"(through the proxy :{proxy.port}) and an own redis-server (:{redis_server.port}); board of 4 × 25, "
        f"2 rules, a webhook endpoint; {args.clients} clients, {args.subscribers} subscribers, {duration:.0f} s",
        flush=True,
    )
    stop = asyncio.Event()
    target: dict[str, int] = {}
    run = Run(time.monotonic())
    subs = [Subscriber(i, since) for i in range(args.subscribers)]
    sub_tasks = [
        asyncio.create_task(subscribe(s, ws_urls, token, plan["pipeline_id"], stop, target, args.drop_every))
        for s in subs
    ]
    await asyncio.sleep(1.0)
    run.t0 = time.monotonic()
    memory = asyncio.create_task(sample_memory(cluster, run, stop))
    clients = [asyncio.create_task(client(i, urls, token, plan, run, stop)) for i in range(args.clients)]
    faults = asyncio.create_task(inject_faults(cluster, redis_server, proxy, run, duration))
    await asyncio.sleep(duration)
    await faults  # the last fault is over before the load stops
    load_seconds = time.monotonic() - run.t0
    stop.set()
    await asyncio.gather(*clients)
    print(f"  load stopped after {load_seconds:.1f} s; settling", flush=True)

    await settle(url, rules, stage_pk, watermark, args.settle)
    await settle_webhooks(url, endpoint_pk, args.settle)
    log = await fetch(
        url,
        "SELECT board_sequence FROM event WHERE pipeline_id = $1 AND board_sequence IS NOT NULL "
        "ORDER BY board_sequence",
        pipeline_pk,
    )
    sequences = [r["board_sequence"] for r in log]
    last = sequences[-1] if sequences else 0
    target["sequence"] = last
    _, pending = await asyncio.wait(sub_tasks, timeout=args.settle)
    for task in pending:
        task.cancel()
    memory.cancel()

    requests = summarise_requests(run, load_seconds)
    subscribers = check_subscribers(subs, last)
    automations = await check_automations(url, rules, stage_pk, watermark)
    writes = await check_writes(url, run, pipeline_pk, since, sequences)
    webhooks = await check_webhooks(url, sink, endpoint_pk, watermark, run)
    await sink.stop()
    result = {
        "date": today(),
        "machine": machine(),
        "load_average": round(os.getloadavg()[0], 2),
        "duration_s": round(load_seconds, 1),
        "clients": args.clients,
        "faults": [
            asdict(w) | {"at_s": round(w.started - run.t0, 1), "lasted_s": round(w.ended - w.started, 1)}
            for w in run.windows
        ],
        "requests": requests,
        "subscribers": subscribers,
        "automations": automations,
        "writes": writes,
        "webhooks": webhooks,
        "memory": memory_report(run),
    }
    lost = report(result)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    path = results / f"faults-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"  written to {path.relative_to(BENCH.parent)}")
    return 1 if lost else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a 40 s run")
    parser.add_argument("--duration", type=float, help="seconds of load (default 180; --quick: 40)")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--subscribers", type=int, default=8)
    parser.add_argument(
        "--drop-every", type=float, default=20.0, help="seconds between a subscriber's voluntary drops"
    )
    parser.add_argument(
        "--settle", type=float, default=120.0, help="seconds to wait for delivery after the load"
    )
    parser.add_argument(
        "--redis-no-persistence",
        action="store_true",
        help="run the bench's Redis without its append-only file: a restart loses the queues",
    )
    exit_cleanly_on_sigterm()
    args = parser.parse_args()
    # The whole run is bounded too: the load, then set-up, settling and checks.
    bound = (args.duration or (40 if args.quick else 180)) + args.settle + 900
    raise SystemExit(asyncio.run(asyncio.wait_for(main(args), bound)))
