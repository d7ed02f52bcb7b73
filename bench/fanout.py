"""Live board fan-out, measured: 1,000 websocket subscribers of one pipeline
spread over two `revgraph serve` processes sharing PostgreSQL and Redis.

STACK.md measured ~0.17 ms of server CPU per subscriber per event (each
subscriber ran its own selection set): 1,000 subscribers on one process
took 180 ms p99. The goal here: p99 < 100 ms from commit to receipt for
1,000 subscribers over two processes, which needs each distinct (selection
set, visibility scope) executed once per event and shared by its group.

The driver (this process):
1. creates the database `revgraph_bench_board` and a Redis key prefix of
   its own, starts two servers on them and seeds through server 1 an
   8 × 50 board whose cards belong to the admin and 10 agents;
2. for each run (1,000 admins; then 900 admins + 100 agents, 10 per agent:
   11 visibility scopes) starts two client processes, 500 graphql-transport-ws
   subscribers each, client k on server k, all subscribed to
   boardEvents(since: boardSequence) with the same selection set;
3. once every socket subscribed, makes one warm-up move per card owner
   and waits until every subscriber received its warm-up events (so every
   subscription is live), measures the servers' idle CPU for a few seconds,
   then sends 50 moves through server 1, one every ~200 ms;
4. collects every receipt. Commit → receipt = receipt time − the moment
   the driver's own Redis subscriber saw the event's publish (the server
   publishes as soon as COMMIT returned, so that is commit + one Redis
   hop). Also reported: against the event's `at` (stamped when the row is
   written, before the rest of the transaction and the commit: an upper
   bound) and against the moment the driver had the mutation's HTTP
   response (after commit, publish and the outbox flag). It checks that every subscriber got exactly its events, in
   sequence order, none missing or twice; server CPU per event from
   /proc/<pid>/stat of both servers over the 50 moves, gross and net of
   the idle rate (keep-alive pings).

Clients, servers, PostgreSQL and Redis share the same 2 cores: receipt
times include the client processes' own queueing (500 sockets per process).

    python bench/fanout.py [--subscribers 1000] [--moves 50] [--spacing 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

BOARD_EVENTS = """
subscription Board($pipelineId: ID!, $since: Int) {
  boardEvents(pipelineId: $pipelineId, since: $since) {
    sequence kind dealId fromStageId toStageId afterDealId at
    deal { id title value stage { id } owner { name } }
  }
}
"""
CLIENT_PROCESSES = 2
CONNECT_CONCURRENCY = 25
AGENTS = 10


# ---------------------------------------------------------------- client process


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def write_json(path: str | Path, value: Any) -> None:
    Path(path).write_text(json.dumps(value))


class Subscriber(asyncio.Protocol):
    """One graphql-transport-ws subscriber as an asyncio protocol over
    websockets' sans-I/O client: every frame that arrives in one read is
    handled in that callback, with no task switch per message. A client
    process then costs a fraction of what the task-per-socket client did,
    which leaves more of the shared cores to the servers being measured."""

    def __init__(self, spec: dict[str, Any], variables: dict[str, Any], sink: dict[str, Any]) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.spec = spec
        self.variables = variables
        self.receipts: list[list[Any]] = sink["receipts"]
        self.failures: list[str] = sink["failures"]
        self.progress: asyncio.Event = sink["progress"]
        self.ws = ClientProtocol(
            parse_uri(spec["ws_url"]), subprotocols=["graphql-transport-ws"], max_size=2**22
        )
        self.subscribed = asyncio.get_running_loop().create_future()
        self.transport: Any = None
        self.upgraded = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self.flush()

    def flush(self) -> None:
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(json.dumps(message).encode())
        self.flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        received = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self.fail(f"handshake refused: {event.status_code}")
                    return
                self.send(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {self.spec['token']}"}}
                )
                continue
            if event.opcode == Opcode.CLOSE:
                self.fail(f"closed by the server: {event.data[:2].hex()} {event.data[2:].decode()}")
                return
            if event.opcode != Opcode.TEXT:
                continue
            message = json.loads(event.data)
            kind = message["type"]
            if kind == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    self.failures.append(f"subscriber {self.spec['user']}: {payload['errors']}")
                    continue
                board_event = payload["data"]["boardEvents"]
                self.receipts.append([board_event["sequence"], received, board_event["at"]])
                self.progress.set()
            elif kind == "ping":
                self.send({"type": "pong"})
            elif kind == "connection_ack":
                query = {"query": BOARD_EVENTS, "variables": self.variables}
                self.send({"id": "1", "type": "subscribe", "payload": query})
                self.subscribed.set_result(None)
            elif kind in ("error", "complete"):
                self.fail(f"{kind}: {message}")
        self.flush()

    def fail(self, why: str) -> None:
        self.failures.append(f"subscriber {self.spec['user']}: {why}")
        self.progress.set()
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(why))
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(f"connection lost: {exc}"))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.ws.send_close(1000)
            self.flush()
            self.transport.close()


async def client_main(config_path: str) -> None:
    """One client process: open the subscribers it was given, report READY,
    WARM (every warm-up event received) and DONE, then write its receipts."""
    from urllib.parse import urlparse

    config = read_json(config_path)
    subscribers = config["subscribers"]
    warm_until = config["warm_until"]
    receipts: list[list[list[Any]]] = [[] for _ in subscribers]
    failures: list[str] = []
    expected = [set(s["expected"]) for s in subscribers]
    warm_expected = [{q for q in s["expected"] if q <= warm_until} for s in subscribers]
    progress = asyncio.Event()
    protocols: list[Subscriber] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    loop = asyncio.get_running_loop()
    variables = {"pipelineId": config["pipeline_id"], "since": config["since"]}

    async def open_one(index: int) -> None:
        spec = subscribers[index]
        url = urlparse(spec["ws_url"])
        sink = {"receipts": receipts[index], "failures": failures, "progress": progress}
        async with gate:
            _, protocol = await loop.create_connection(
                lambda: Subscriber(spec, variables, sink), url.hostname, url.port
            )
            protocols.append(protocol)
            await asyncio.wait_for(protocol.subscribed, 60)

    await asyncio.gather(*(open_one(i) for i in range(len(subscribers))))
    print("READY", flush=True)

    def all_have(targets: list[set[int]]) -> bool:
        return all(
            len(r) >= len(t) and t <= {x[0] for x in r} for r, t in zip(receipts, targets, strict=True)
        )

    async def until(targets: list[set[int]], deadline: float) -> bool:
        while time.monotonic() < deadline:
            if all_have(targets):
                return True
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), 0.5)
        return all_have(targets)

    await until(warm_expected, time.monotonic() + 90)
    print("WARM", flush=True)
    complete = await until(expected, time.monotonic() + config["timeout"])
    print("DONE" if complete else "TIMEOUT", flush=True)
    write_json(config["out"], {"receipts": receipts, "failures": failures})
    for protocol in protocols:
        protocol.close()
    await asyncio.sleep(0.5)


# ---------------------------------------------------------------- driver


async def start_clients(configs: list[dict[str, Any]], folder: Path) -> list[asyncio.subprocess.Process]:
    processes = []
    for index, config in enumerate(configs):
        path = folder / f"client{index}.json"
        write_json(path, config)
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--client", str(path), stdout=asyncio.subprocess.PIPE
            )
        )
    return processes


async def expect_line(
    processes: list[asyncio.subprocess.Process], wanted: str, timeout: float, *, also: str | None = None
) -> list[str]:
    """Every client prints `wanted` (or `also`), else the run fails."""
    lines = []
    for process in processes:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode().strip()
        if line not in (wanted, also):
            raise RuntimeError(f"client {process.pid} said {line!r}, expected {wanted!r}")
        lines.append(line)
    return lines


def event_time(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


async def observe_publishes(prefix: str, stamps: dict[int, float], ready: asyncio.Event) -> None:
    """Stamp each board event when its publish reaches Redis subscribers.
    The server publishes right after COMMIT returns (unit_of_work), so this
    is the commit time plus one Redis hop, on the same clock as receipts."""
    import redis.asyncio as aioredis
    from board_common import REDIS_URL

    client = aioredis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    try:
        await pubsub.psubscribe(f"{prefix}:events:*")
        ready.set()
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is None:
                continue
            received = time.time()
            wire = json.loads(message["data"])
            if wire.get("board_sequence") is not None:
                stamps.setdefault(wire["board_sequence"], received)
    finally:
        await pubsub.aclose()
        await client.aclose()


async def one_run(
    name: str,
    servers: list[Any],
    api: Any,
    workspace: Any,
    board: Any,
    owner_of: dict[str, str],
    agent_subscribers: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    from board_common import MOVE_DEAL, cpu_seconds, percentile, spread

    rng = random.Random(hash(name) & 0xFFFF)
    admin = workspace.admin
    since = (
        await api.ok(
            "query($id: ID!) { pipeline(id: $id) { boardSequence } }", {"id": board.pipeline_id}, admin.token
        )
    )["pipeline"]["boardSequence"]
    # The plan, sequences included: this driver is the board's only writer.
    by_owner: dict[str, list[str]] = {}
    for deal, owner in owner_of.items():
        by_owner.setdefault(owner, []).append(deal)
    warm_deals = [rng.choice(by_owner[p.id]) for p in workspace.owners]
    measured_deals = [rng.choice(list(owner_of)) for _ in range(args.moves)]
    plan = [*warm_deals, *measured_deals]
    owners = [owner_of[d] for d in plan]
    warm_until = since + len(warm_deals)
    all_sequences = list(range(since + 1, since + len(plan) + 1))

    people = [admin] * (args.subscribers - agent_subscribers)
    people += [workspace.agents[i % len(workspace.agents)] for i in range(agent_subscribers)]
    rng.shuffle(people)
    configs = []
    folder = Path(tempfile.mkdtemp(prefix="revgraph-fanout-"))
    for index in range(CLIENT_PROCESSES):
        mine = people[index::CLIENT_PROCESSES]
        configs.append(
            {
                "pipeline_id": board.pipeline_id,
                "since": since,
                "warm_until": warm_until,
                "timeout": 60,
                "out": str(folder / f"receipts{index}.json"),
                "subscribers": [
                    {
                        "ws_url": servers[index % len(servers)].ws_url,
                        "token": person.token,
                        "role": person.role,
                        "user": person.id,
                        "expected": [
                            q
                            for q, o in zip(all_sequences, owners, strict=True)
                            if person.role == "ADMIN" or o == person.id
                        ],
                    }
                    for person in mine
                ],
            }
        )
    print(
        f"-- {name}: {args.subscribers} subscribers ({agent_subscribers} agents), since {since}", flush=True
    )
    clients = await start_clients(configs, folder)
    try:
        began = time.perf_counter()
        await expect_line(clients, "READY", 150)
        print(f"  all subscribed in {time.perf_counter() - began:.1f} s", flush=True)

        async def move(deal: str) -> tuple[float, float]:
            stage = rng.choice(board.stage_ids)
            sent = time.time()
            await api.ok(MOVE_DEAL, {"input": {"dealId": deal, "stageId": stage}}, admin.token)
            return sent, time.time()

        for deal in warm_deals:
            await move(deal)
            await asyncio.sleep(0.05)
        await expect_line(clients, "WARM", 100)
        await asyncio.sleep(1)
        pids = [s.pid for s in servers]
        idle_start = [cpu_seconds(p) for p in pids]
        idle_t = time.perf_counter()
        await asyncio.sleep(args.idle_seconds)
        idle_rate = sum(cpu_seconds(p) - c for p, c in zip(pids, idle_start, strict=True)) / (
            time.perf_counter() - idle_t
        )
        published: dict[int, float] = {}
        observing = asyncio.Event()
        observer = asyncio.create_task(observe_publishes(args.prefix, published, observing))
        await asyncio.wait_for(observing.wait(), 10)
        cpu_start = [cpu_seconds(p) for p in pids]
        client_cpu_start = [cpu_seconds(c.pid) for c in clients]
        window_t = time.perf_counter()
        responses: dict[int, tuple[float, float]] = {}
        for offset, deal in enumerate(measured_deals):
            tick = time.perf_counter()
            responses[warm_until + offset + 1] = await move(deal)
            await asyncio.sleep(max(0.0, args.spacing - (time.perf_counter() - tick)))
        # TIMEOUT: some subscriber still lacks events after 60 s; its
        # receipts are checked below and the gaps reported.
        await expect_line(clients, "DONE", 90, also="TIMEOUT")
        window = time.perf_counter() - window_t
        cpu_used = [cpu_seconds(p) - c for p, c in zip(pids, cpu_start, strict=True)]
        client_cpu = sum(cpu_seconds(c.pid) - s for c, s in zip(clients, client_cpu_start, strict=True))
        for client in clients:
            await asyncio.wait_for(client.wait(), 30)
        observer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await observer
    finally:
        for client in clients:
            if client.returncode is None:
                client.kill()
                await client.wait()

    # Every receipt, checked against the plan.
    latencies_at: list[float] = []
    latencies_published: list[float] = []
    latencies_response: list[float] = []
    per_server: dict[int, list[float]] = {0: [], 1: []}
    problems: list[str] = []
    failures: list[str] = []
    deliveries = 0
    for index, config in enumerate(configs):
        data = read_json(config["out"])
        failures += data["failures"]
        for spec, receipts in zip(config["subscribers"], data["receipts"], strict=True):
            got = [r[0] for r in receipts]
            if got != spec["expected"]:
                missing = sorted(set(spec["expected"]) - set(got))
                extra = len(got) - len(set(got))
                disorder = got != sorted(got)
                problems.append(
                    f"{spec['role']} on server {index % 2 + 1}: missing {missing[:5]}, "
                    f"{extra} duplicates, {'out of order' if disorder else 'in order'}"
                )
            for sequence, received, at in receipts:
                if sequence not in responses:
                    continue  # a warm-up event
                deliveries += 1
                latencies_at.append(received - event_time(at))
                if sequence not in published:
                    problems.append(f"event {sequence} received but its publish was not seen on Redis")
                    continue
                latency = received - published[sequence]
                latencies_published.append(latency)
                per_server[index % 2].append(latency)
                latencies_response.append(received - responses[sequence][1])
    mutation = [r - s for s, r in responses.values()]
    expected_deliveries = sum(
        1 for c in configs for s in c["subscribers"] for q in s["expected"] if q in responses
    )
    net = [c - idle_rate / len(pids) * window for c in cpu_used]
    result = {
        "subscribers": args.subscribers,
        "agent_subscribers": agent_subscribers,
        "moves": len(measured_deals),
        "deliveries": deliveries,
        "expected_deliveries": expected_deliveries,
        "commit_to_receipt": spread(latencies_published),
        "event_at_to_receipt": spread(latencies_at),
        "response_to_receipt": spread(latencies_response),
        "per_server_p99_ms": {
            f"server{k + 1}": round(percentile(v, 99) * 1e3, 1) for k, v in per_server.items() if v
        },
        "mutation_round_trip": spread(mutation),
        "server_cpu_ms_per_event": [round(c / len(measured_deals) * 1e3, 1) for c in cpu_used],
        "server_cpu_ms_per_event_net_of_idle": [round(c / len(measured_deals) * 1e3, 1) for c in net],
        "idle_cpu_ms_per_second": round(idle_rate * 1e3, 1),
        "client_cpu_ms_per_event": round(client_cpu / len(measured_deals) * 1e3, 1),
        "window_seconds": round(window, 2),
        "server_rss_mib": [round(s.rss_mib(), 1) for s in servers],
        "load_average": round(os.getloadavg()[0], 2),
        "problems": problems[:10] + failures[:10],
        "problem_count": len(problems) + len(failures),
    }
    c, a, r = result["commit_to_receipt"], result["event_at_to_receipt"], result["response_to_receipt"]
    total = sum(result["server_cpu_ms_per_event"])
    total_net = sum(result["server_cpu_ms_per_event_net_of_idle"])
    print(
        f"  {deliveries}/{expected_deliveries} deliveries of {len(measured_deals)} events; "
        f"commit (publish seen on Redis) → receipt p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, "
        f"max {c['max_ms']} ms (per server p99 {result['per_server_p99_ms']})\n"
        f"  event `at` (row written, before commit) → receipt p50 {a['p50_ms']} ms, "
        f"p99 {a['p99_ms']} ms, max {a['max_ms']} ms\n"
        f"  mutation response → receipt p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; "
        f"moveDeal round trip p50 {result['mutation_round_trip']['p50_ms']} ms\n"
        f"  server CPU per event: {result['server_cpu_ms_per_event']} ms (sum {total:.1f} ms, "
        f"{total / args.subscribers * 1e3:.1f} µs per subscriber); net of idle "
        f"({result['idle_cpu_ms_per_second']} ms/s): sum {total_net:.1f} ms; "
        f"client processes {result['client_cpu_ms_per_event']} ms per event\n"
        f"  server RSS {result['server_rss_mib']} MiB; load average {result['load_average']}\n"
        f"  lost/duplicated/reordered: {'none' if not result['problem_count'] else result['problems']}",
        flush=True,
    )
    return result


async def driver(args: argparse.Namespace) -> None:
    from board_common import (
        Api,
        database,
        drop_redis_prefix,
        machine,
        redis_prefix,
        seed_board,
        seed_workspace,
        server_env,
        serving,
        today,
    )

    print(f"board fan-out — {today()}, {machine()}")
    prefix = args.prefix = redis_prefix()
    results = []
    try:
        async with database("postgres") as url:
            env = server_env(url, redis_prefix=prefix)
            with serving(env) as first, serving(env) as second:
                servers = [first, second]
                api = Api(first)
                try:
                    workspace = await seed_workspace(api, agents=AGENTS)
                    board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
                    owner_of = {deal: owner for deal, (owner, _) in board.deals.items()}
                    print(
                        f"  two servers (pids {first.pid}, {second.pid}) on PostgreSQL + Redis "
                        f"(prefix {prefix}); seeded 8 × 50 cards over the admin and {AGENTS} agents",
                        flush=True,
                    )
                    runs = []
                    if "admins" in args.runs:
                        runs.append(("all admins", 0))
                    if "mix" in args.runs:
                        runs.append((f"mix with {AGENTS} agent scopes", args.agent_subscribers))
                    for name, agents in runs:
                        results.append(
                            await one_run(name, servers, api, workspace, board, owner_of, agents, args)
                        )
                finally:
                    await api.aclose()
    finally:
        dropped = await drop_redis_prefix(prefix)
        print(f"  cleaned up: database dropped, {dropped} Redis keys of {prefix} deleted")
    if any(r["problem_count"] for r in results):
        raise SystemExit("FAILED: events lost, duplicated or reordered")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="live board fan-out benchmark (PostgreSQL + Redis)")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument(
        "--agent-subscribers", type=int, default=100, help="agent subscribers of the mixed run"
    )
    parser.add_argument("--runs", nargs="+", choices=["admins", "mix"], default=["admins", "mix"])
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between measured moves")
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    if arguments.client:
        asyncio.run(client_main(arguments.client))
    else:
        from board_common import exit_cleanly_on_sigterm

        exit_cleanly_on_sigterm()
        asyncio.run(asyncio.wait_for(driver(arguments), 290))
