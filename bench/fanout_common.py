"""What the live fan-out benchmarks (fanout.py: the board; inbox_fanout.py:
the inbox) share: subscriber client processes and one measured run.

A run: 1,000 graphql-transport-ws subscribers of one stream spread over
client processes (client k on server k), all subscribed with `since`, then
warm-up actions until every subscriber received its warm-up events (so every
subscription is live), the servers' idle CPU for a few seconds, then the
measured actions, one every `spacing` seconds. Each action makes exactly one
event of the stream and the driver is the stream's only writer, so the
k-th action's sequence is since + k and every subscriber's expected
sequences are known in advance. Commit → receipt = receipt time − the
moment the driver's own Redis subscriber saw the event's publish (the
server publishes as soon as COMMIT returned: commit + one Redis hop). Also
reported: against the event's `at` (stamped when the row is written, before
the rest of the transaction and the commit: an upper bound) and against
the moment the driver had the mutation's HTTP response. Every subscriber
must get exactly its events, in sequence order, none missing or twice.
Per server and event it also gives when that server's subscribers got their
first and last frame, and with --gc-log the servers' garbage collections in
the measured window (fanout_gc/).

The client processes are fanout_client.py."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fanout_client import read_json, write_json

CLIENT_PROCESSES = 2
CLIENT = str(Path(__file__).with_name("fanout_client.py"))
# --gc-log: first on the servers' PYTHONPATH (its sitecustomize logs collections)
GC_PROBE = Path(__file__).with_name("fanout_gc")
AGENTS = 10


@dataclass
class Stream:
    """The subscription measured: its document and root field, the
    variables every subscriber sends (since included), and the key of its
    sequence in the bus's wire events."""

    document: str
    field: str
    variables: dict[str, Any]
    sequence_key: str


@dataclass
class Plan:
    """One run's plan: the subscription, the stream's sequence it starts
    after, the warm-up and measured actions (each makes exactly one event),
    and the user id that owns each planned event, in order (an admin gets
    every event, an agent those it owns)."""

    stream: Stream
    since: int
    warm: list[Callable[[], Awaitable[Any]]]
    measured: list[Callable[[], Awaitable[Any]]]
    owners: list[str]


# (api, workspace) -> (what the runs need, a line saying what was seeded)
Seed = Callable[[Any, Any], Awaitable[tuple[Any, str]]]
# (api, workspace, what was seeded, rng, args) -> the run's plan
Planner = Callable[[Any, Any, Any, random.Random, argparse.Namespace], Awaitable[Plan]]


class TakingTurns:
    """The actions' API for `--writes alternate` (the default): each call
    goes to the next server in turn, so every server serves half the writes
    and fans out every event, as when users' writes land on any process.
    With `--writes first` (as until 2026-12-07) server 1 serves them all:
    its subscribers then get each event after the mutation's own tail (its
    hooks, the outbox flag, the response) on the same event loop, and only
    then does the second server's figure read as fan-out alone."""

    def __init__(self, apis: list[Any]) -> None:
        self.apis = apis
        self.turn = 0

    def _next(self) -> Any:
        api = self.apis[self.turn % len(self.apis)]
        self.turn += 1
        return api

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await self._next()(*args, **kwargs)

    async def ok(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await self._next().ok(*args, **kwargs)


async def start_clients(configs: list[dict[str, Any]], folder: Path) -> list[asyncio.subprocess.Process]:
    processes = []
    for index, config in enumerate(configs):
        path = folder / f"client{index}.json"
        write_json(path, config)
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable, CLIENT, str(path), stdout=asyncio.subprocess.PIPE
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


async def client_cpu_seconds(process: asyncio.subprocess.Process) -> float:
    """The CPU seconds a client reported after DONE (fanout_client.py)."""
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().split()
    if len(line) != 2 or line[0] != "CPU":
        raise RuntimeError(f"client {process.pid} said {line!r}, expected its CPU seconds")
    return float(line[1])


def event_time(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


async def observe_publishes(
    prefix: str, sequence_key: str, stamps: dict[int, float], ready: asyncio.Event
) -> None:
    """Stamp each event of the stream (its wire's `sequence_key`) when its
    publish reaches Redis subscribers.
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
            if wire.get(sequence_key) is not None:
                stamps.setdefault(wire[sequence_key], received)
    finally:
        await pubsub.aclose()
        await client.aclose()


async def measure(
    name: str,
    servers: list[Any],
    stream: Stream,
    people: list[Any],
    expected: Callable[[Any, list[int]], list[int]],
    warm: list[Callable[[], Awaitable[Any]]],
    measured: list[Callable[[], Awaitable[Any]]],
    since: int,
    args: Any,
    action: str,
) -> dict[str, Any]:
    """One run (see the module): `people` (id, token, role) subscribe, one
    subscriber each; `expected(person, sequences)` is what of `sequences`
    (the plan's, in order) that person must receive; `warm` and `measured`
    are the actions, each making one event; `action` names them in the
    report. `args`: subscribers, spacing, idle_seconds, prefix."""
    from board_common import cpu_seconds, cpu_split, percentile, spread

    warm_until = since + len(warm)
    all_sequences = list(range(since + 1, since + len(warm) + len(measured) + 1))
    configs = []
    folder = Path(tempfile.mkdtemp(prefix="revgraph-fanout-"))
    for index in range(CLIENT_PROCESSES):
        mine = people[index::CLIENT_PROCESSES]
        configs.append(
            {
                "variables": stream.variables,
                "warm_until": warm_until,
                # from WARM until every measured event arrived: the actions are slow
                # on a loaded machine (~1 s a move at 5,000 subscribers, load 14)
                "timeout": 60 + 2 * len(measured),
                "out": str(folder / f"receipts{index}.json"),
                "subscribers": [
                    {
                        "ws_url": servers[index % len(servers)].ws_url,
                        "token": person.token,
                        "role": person.role,
                        "user": person.id,
                        "document": stream.document,
                        "field": stream.field,
                        "expected": expected(person, all_sequences),
                        "deflate": args.deflate,
                    }
                    for person in mine
                ],
            }
        )
    agents = sum(1 for p in people if p.role != "ADMIN")
    deflate = ", offering per-message deflate" if args.deflate else ""
    print(f"-- {name}: {len(people)} subscribers ({agents} agents){deflate}, since {since}", flush=True)
    clients = await start_clients(configs, folder)
    try:
        began = time.perf_counter()
        await expect_line(clients, "READY", max(150, len(people) / 20))
        print(f"  all subscribed in {time.perf_counter() - began:.1f} s", flush=True)

        async def timed(act: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
            sent = time.time()
            await act()
            return sent, time.time()

        for act in warm:
            await timed(act)
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
        observer = asyncio.create_task(
            observe_publishes(args.prefix, stream.sequence_key, published, observing)
        )
        await asyncio.wait_for(observing.wait(), 10)
        cpu_start = [cpu_seconds(p) for p in pids]
        split_start = [cpu_split(p) for p in pids]
        client_cpu_start = [cpu_seconds(c.pid) for c in clients]
        window_t = time.perf_counter()
        window_wall = time.time()
        responses: dict[int, tuple[float, float]] = {}
        for offset, act in enumerate(measured):
            tick = time.perf_counter()
            responses[warm_until + offset + 1] = await timed(act)
            await asyncio.sleep(max(0.0, args.spacing - (time.perf_counter() - tick)))
        # TIMEOUT: some subscriber still lacks events after 60 s; its
        # receipts are checked below and the gaps reported.
        await expect_line(clients, "DONE", 90 + 2 * len(measured), also="TIMEOUT")
        window = time.perf_counter() - window_t
        window_wall_end = time.time()
        cpu_used = [cpu_seconds(p) - c for p, c in zip(pids, cpu_start, strict=True)]
        kernel_used = [cpu_split(p)[1] - c[1] for p, c in zip(pids, split_start, strict=True)]
        client_cpu = sum(
            [await client_cpu_seconds(c) - s for c, s in zip(clients, client_cpu_start, strict=True)]
        )
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

    collections = (
        collections_in(args, servers, window_wall, window_wall_end, published) if args.gc_log else None
    )

    def per_own_subscriber(seconds: list[float]) -> list[float]:
        """Each server's seconds per measured event over its own subscribers, in µs."""
        own = [
            sum(len(people[i::CLIENT_PROCESSES]) for i in range(CLIENT_PROCESSES) if i % len(servers) == k)
            for k in range(len(servers))
        ]
        return [round(s / len(measured) / n * 1e6, 2) for s, n in zip(seconds, own, strict=True)]

    # Every receipt, checked against the plan.
    latencies_at: list[float] = []
    latencies_published: list[float] = []
    latencies_response: list[float] = []
    per_server: dict[int, list[float]] = {0: [], 1: []}
    # (server, sequence) -> that server's subscribers' latencies of the event
    per_event: dict[tuple[int, int], list[float]] = {}
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
                per_event.setdefault((index % 2, sequence), []).append(latency)
                latencies_response.append(received - responses[sequence][1])
    shutil.rmtree(folder, ignore_errors=True)  # the clients' configs and receipts, read
    mutation = [r - s for s, r in responses.values()]
    expected_deliveries = sum(
        1 for c in configs for s in c["subscribers"] for q in s["expected"] if q in responses
    )
    net = [c - idle_rate / len(pids) * window for c in cpu_used]
    result = {
        "subscribers": len(people),
        "agent_subscribers": agents,
        "deflate": args.deflate,
        "events": len(measured),
        "deliveries": deliveries,
        "expected_deliveries": expected_deliveries,
        "commit_to_receipt": spread(latencies_published),
        "event_at_to_receipt": spread(latencies_at),
        "response_to_receipt": spread(latencies_response),
        "per_server_p99_ms": {
            f"server{k + 1}": round(percentile(v, 99) * 1e3, 1) for k, v in per_server.items() if v
        },
        "per_server_events": per_server_events(per_event),
        "mutation_round_trip": spread(mutation),
        "server_cpu_ms_per_event": [round(c / len(measured) * 1e3, 1) for c in cpu_used],
        "server_cpu_ms_per_event_net_of_idle": [round(c / len(measured) * 1e3, 1) for c in net],
        # Of it, in the kernel (socket writes and reads, mostly).
        "server_kernel_ms_per_event": [round(c / len(measured) * 1e3, 1) for c in kernel_used],
        # Per server, its CPU per event over its own subscribers: with
        # --baseline the two builds' figures of the same run, side by side.
        "server_us_per_own_subscriber": per_own_subscriber(cpu_used),
        "server_kernel_us_per_own_subscriber": per_own_subscriber(kernel_used),
        # The same less the collector's CPU in the window (--gc-log): a full
        # pass (~350-420 ms at 2,500 subscribers) falls in one server's
        # window or in none, a third of its CPU per event when it does.
        "server_us_per_own_subscriber_net_of_collections": per_own_subscriber(
            [used - collections[f"server{k + 1}"]["cpu_ms"] / 1e3 for k, used in enumerate(cpu_used)]
        )
        if collections
        else None,
        "builds": args.builds,
        # With --writes first the second server only fans out (the first
        # also serves the actions): its CPU per event over its own subscribers.
        "fanout_server_us_per_subscriber": round(
            cpu_used[-1]
            / len(measured)
            / sum(
                len(people[index::CLIENT_PROCESSES])
                for index in range(CLIENT_PROCESSES)
                if index % len(servers) == len(servers) - 1
            )
            * 1e6,
            1,
        )
        if args.writes == "first"
        else None,
        "writes": args.writes,
        "collections": collections,
        "idle_cpu_ms_per_second": round(idle_rate * 1e3, 1),
        "client_cpu_ms_per_event": round(client_cpu / len(measured) * 1e3, 1),
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
        f"  {deliveries}/{expected_deliveries} deliveries of {len(measured)} events; "
        f"commit (publish seen on Redis) → receipt p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, "
        f"max {c['max_ms']} ms (per server p99 {result['per_server_p99_ms']})\n"
        f"  event `at` (row written, before commit) → receipt p50 {a['p50_ms']} ms, "
        f"p99 {a['p99_ms']} ms, max {a['max_ms']} ms\n"
        f"  mutation response → receipt p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms; "
        f"{action} round trip p50 {result['mutation_round_trip']['p50_ms']} ms\n"
        f"  server CPU per event: {result['server_cpu_ms_per_event']} ms (sum {total:.1f} ms, "
        f"{total / len(people) * 1e3:.1f} µs per subscriber); net of idle "
        f"({result['idle_cpu_ms_per_second']} ms/s): sum {total_net:.1f} ms; "
        f"client processes {result['client_cpu_ms_per_event']} ms per event\n"
        f"  of the servers' CPU per event in the kernel: {result['server_kernel_ms_per_event']} ms; "
        f"the fan-out-only server: {result['fanout_server_us_per_subscriber'] or 'none'} µs per own "
        f"subscriber (writes: {args.writes})\n"
        f"  per server ({', '.join(result['builds'])}): µs per own subscriber per event "
        f"{result['server_us_per_own_subscriber']}, of it in the kernel "
        f"{result['server_kernel_us_per_own_subscriber']}; less the collections in the window "
        f"{result['server_us_per_own_subscriber_net_of_collections']}\n"
        f"  server RSS {result['server_rss_mib']} MiB; load average {result['load_average']}\n"
        f"{format_per_server_events(result['per_server_events'])}"
        f"{format_collections(result['collections'])}"
        f"  lost/duplicated/reordered: {'none' if not result['problem_count'] else result['problems']}",
        flush=True,
    )
    return result


def collections_in(
    args: Any, servers: list[Any], start: float, end: float, published: dict[int, float]
) -> dict[str, Any]:
    """Per server, the garbage collections (fanout_gc/) between the first
    measured action and the last receipt: how many per generation, their
    CPU in all, and the slowest ones with the event whose publish came last
    before each (the event it may have delayed)."""
    summary: dict[str, Any] = {}
    for number, server in enumerate(servers, start=1):
        path = args.gc_folder / f"gc-{server.pid}.log"
        rows = [line.split() for line in path.read_text().splitlines()] if path.exists() else []
        seen = [(float(t), int(g), float(ms)) for t, g, ms, _ in rows if start <= float(t) <= end]
        slowest = sorted(seen, key=lambda row: row[2], reverse=True)[:3]

        def event_before(moment: float) -> int | None:
            before = [q for q, at in published.items() if at <= moment]
            return max(before) if before else None

        summary[f"server{number}"] = {
            "per_generation": {g: sum(1 for _, gen, _ in seen if gen == g) for g in (0, 1, 2)},
            "cpu_ms": round(sum(ms for _, _, ms in seen), 1),
            "slowest": [[g, round(ms, 1), event_before(t)] for t, g, ms in slowest],
        }
    return summary


def format_collections(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return ""
    lines = ""
    for server, figures in summary.items():
        counts = figures["per_generation"]
        slowest = ", ".join(f"gen {g} {ms} ms after #{q}" for g, ms, q in figures["slowest"])
        lines += (
            f"  {server} collections in the window: gen 0/1/2 = {counts[0]}/{counts[1]}/{counts[2]}, "
            f"{figures['cpu_ms']} ms CPU; slowest: {slowest or 'none'}\n"
        )
    return lines


def per_server_events(per_event: dict[tuple[int, int], list[float]]) -> dict[str, Any]:
    """Per server, where its subscribers' latency comes from, event by event:
    the first receipt (how late the server started writing: its own queue,
    the mutation it served) and the last (plus how long its subscribers'
    frames took to reach them all), as medians over the events, and the
    events whose last receipt was the latest (a pause shows as one or two of
    them; a steady lag shows in the medians)."""
    from board_common import percentile

    summary: dict[str, Any] = {}
    for server in sorted({s for s, _ in per_event}):
        events = {q: v for (s, q), v in per_event.items() if s == server}
        firsts = [min(v) for v in events.values()]
        lasts = [max(v) for v in events.values()]
        worst = sorted(events, key=lambda q: max(events[q]), reverse=True)[:3]
        summary[f"server{server + 1}"] = {
            "first_receipt_p50_ms": round(percentile(firsts, 50) * 1e3, 1),
            "last_receipt_p50_ms": round(percentile(lasts, 50) * 1e3, 1),
            "worst_events": [
                [q, round(min(events[q]) * 1e3, 1), round(max(events[q]) * 1e3, 1)] for q in worst
            ],
        }
    return summary


def format_per_server_events(summary: dict[str, Any]) -> str:
    lines = ""
    for server, figures in summary.items():
        worst = ", ".join(f"#{q} {first}→{last}" for q, first, last in figures["worst_events"])
        lines += (
            f"  {server}: per event, first receipt p50 {figures['first_receipt_p50_ms']} ms, "
            f"last p50 {figures['last_receipt_p50_ms']} ms; latest events (first→last ms): {worst}\n"
        )
    return lines


async def one_run(
    name: str, servers: list[Any], api: Any, workspace: Any, seeded: Any, agent_subscribers: int, args: Any
) -> dict[str, Any]:
    """Subscribers (admins, and `agent_subscribers` agents spread over the
    workspace's agents) follow the plan's stream while it is carried out."""
    rng = random.Random(hash(name) & 0xFFFF)
    plan = await args.planner(args.writer, workspace, seeded, rng, args)
    people = [workspace.admin] * (args.subscribers - agent_subscribers)
    people += [workspace.agents[i % len(workspace.agents)] for i in range(agent_subscribers)]
    rng.shuffle(people)

    def expected(person: Any, sequences: list[int]) -> list[int]:
        return [
            q for q, o in zip(sequences, plan.owners, strict=True) if person.role == "ADMIN" or o == person.id
        ]

    return await measure(
        name, servers, plan.stream, people, expected, plan.warm, plan.measured, plan.since, args, args.action
    )


async def driver(args: argparse.Namespace) -> None:
    """Seed a workspace of AGENTS agents on two servers (PostgreSQL + Redis),
    then the runs: all admins, and admins mixed with agents."""
    from board_common import (
        Api,
        database,
        drop_redis_prefix,
        machine,
        redis_prefix,
        seed_workspace,
        server_env,
        serving,
        today,
    )

    print(f"{args.title} — {today()}, {machine()}")
    prefix = args.prefix = redis_prefix()
    results = []
    try:
        async with database("postgres", name=args.database) as url:
            env = server_env(url, redis_prefix=prefix)
            # server_env drops the caller's REVGRAPH_*: keep the pool size of
            # a shared PostgreSQL (two servers, each 20 connections by default)
            if os.environ.get("REVGRAPH_DATABASE_POOL_SIZE"):
                env["REVGRAPH_DATABASE_POOL_SIZE"] = os.environ["REVGRAPH_DATABASE_POOL_SIZE"]
            if args.gc_log:
                args.gc_folder = Path(tempfile.mkdtemp(prefix="revgraph-fanout-gc-"))
                env["FANOUT_GC_LOG"] = str(args.gc_folder)
                env["PYTHONPATH"] = os.pathsep.join(
                    p for p in (str(GC_PROBE), os.environ.get("PYTHONPATH")) if p
                )
            # --baseline: one of the two servers runs another build (a `git
            # archive` of the ref first on its PYTHONPATH), so the two builds
            # fan out the same events to as many subscribers in the same run.
            commands: list[list[str] | None] = [None, None]
            envs = [env, env]
            args.builds = ["this checkout", "this checkout"]
            if args.baseline:
                from board_common import SERVE_ARCHIVED
                from reads import baseline_path

                other = args.baseline_server - 1
                commands[other] = SERVE_ARCHIVED
                envs[other] = {
                    **env,
                    "PYTHONPATH": os.pathsep.join(
                        p for p in (env.get("PYTHONPATH"), str(baseline_path(args.baseline))) if p
                    ),
                }
                args.builds[other] = f"baseline {args.baseline}"
            args.builds = [f"server{k + 1} = {b}" for k, b in enumerate(args.builds)]
            # (the first server migrates the fresh database: slow on a loaded machine)
            with (
                serving(envs[0], health_timeout=300, command=commands[0]) as first,
                serving(envs[1], health_timeout=300, command=commands[1]) as second,
            ):
                servers = [first, second]
                api = Api(first)
                apis = [api, Api(second)]
                args.writer = TakingTurns(apis) if args.writes == "alternate" else api
                try:
                    workspace = await seed_workspace(api, agents=AGENTS)
                    seeded, what = await args.seed(api, workspace)
                    print(
                        f"  two servers (pids {first.pid}, {second.pid}) on PostgreSQL + Redis "
                        f"(prefix {prefix}); seeded {what}",
                        flush=True,
                    )
                    runs = []
                    if "admins" in args.runs:
                        runs.append(("all admins", 0))
                    if "mix" in args.runs:
                        runs.append((f"mix with {AGENTS} agent scopes", args.agent_subscribers))
                    for name, agents in runs:
                        results.append(await one_run(name, servers, api, workspace, seeded, agents, args))
                finally:
                    for each in apis:
                        await each.aclose()
    finally:
        dropped = await drop_redis_prefix(prefix)
        print(f"  cleaned up: database dropped, {dropped} Redis keys of {prefix} deleted")
        if getattr(args, "gc_folder", None) is not None:
            shutil.rmtree(args.gc_folder, ignore_errors=True)
    if any(r["problem_count"] for r in results):
        raise SystemExit("FAILED: events lost, duplicated or reordered")


def main(
    title: str, database: str, seed: Seed, planner: Planner, action: str, count: str, count_help: str
) -> None:
    """A fan-out benchmark's command line: `count` (e.g. "--moves") is how
    many measured actions (`action`, e.g. "moveDeal") it makes."""
    parser = argparse.ArgumentParser(description=f"{title} benchmark (PostgreSQL + Redis)")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument(
        "--agent-subscribers", type=int, default=100, help="agent subscribers of the mixed run"
    )
    parser.add_argument("--runs", nargs="+", choices=["admins", "mix"], default=["admins", "mix"])
    parser.add_argument(count, dest="events", type=int, default=50, help=count_help)
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between measured actions")
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument(
        "--deflate", action="store_true", help="clients offer per-message deflate, as browsers do"
    )
    parser.add_argument("--deadline", type=float, default=290, help="seconds the whole run may take")
    parser.add_argument(
        "--gc-log", action="store_true", help="log the servers' garbage collections (fanout_gc/)"
    )
    parser.add_argument(
        "--writes",
        choices=["first", "alternate"],
        default="alternate",
        help="the actions through each server in turn, or all through server 1 (as until 2026-12-07)",
    )
    parser.add_argument(
        "--baseline",
        default="",
        help="git ref one server runs (a `git archive` of it, as reads.py --baseline): "
        "the two builds measured in the same run",
    )
    parser.add_argument(
        "--baseline-server",
        type=int,
        choices=[1, 2],
        default=1,
        help="which server runs --baseline (alternate it between runs)",
    )
    arguments = parser.parse_args()
    arguments.title, arguments.database, arguments.action = title, database, action
    arguments.seed, arguments.planner = seed, planner
    from board_common import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
    asyncio.run(asyncio.wait_for(driver(arguments), arguments.deadline))
