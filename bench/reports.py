"""Dashboards on a big workspace: issue 11's three numbers.

Per backend (SQLite embedded: a fresh file, budgets in memory; PostgreSQL:
a fresh database `revgraph_bench_reports` (or $REVGRAPH_BENCH_REPORTS_DB), Redis under a key prefix of its
own, both removed at the end, failure or not), in a process of its own:

0. The workspace of bench/reports_data.py: 50 users in a team tree through
   the API, then 100,000 deals and 1,000,000 events in bulk (timed).
1. First answers: `funnel` of the main pipeline and `leadReport(by: OWNER)`
   over the last 365 days, every request a new range (so computed, never
   cached), as the admin (the workspace) and as a regional manager (a
   subtree): in-process (the ASGI app in this process, no network: the
   server's own time, and its SQL statements), then over HTTP against
   `revgraph serve` pinned to core 0 (latency and the server's CPU).
2. A repeated identical poll, nothing committed in between: the dashboard
   document (funnel + leadReport) POSTed again and again, and as a
   conditional GET (304): server CPU per request, and the SQL statements
   of one such request in-process (the goal: the credential's only).
3. 200 dashboards (4 sessions of each of the 50 users, every one polling
   the dashboard document over its own visibility every 5 s, evenly
   spread) while 20 agents move their own deals (each one move, then
   `--think` seconds): the polls' p50/p99 and how many answered; and
   moveDeal p50/p99 with the dashboards and, before them, without; the
   server's CPU during the dashboards split by thread (`server_cpu_by_thread`:
   the event loop, other threads, threads running nicer than the process)
   and the CPU of the database's backends (PostgreSQL, with every parallel
   worker of the machine; those that ended meanwhile not counted:
   `database_cpu_share`).
   With `--baseline REF`, step 3 runs in `--rounds` rounds, each on a
   server of this checkout and one of REF (a `git archive`, as
   bench/reads.py serves it), their order alternated from round to round,
   on the same database: the writers' with ÷ alone ratios side by side.

    python bench/reports.py [--backend sqlite postgres] [--deals 100000] [--events 1000000]
                            [--load-seconds 60] [--baseline main --rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import reports_data as data
import reports_rows
import reports_write
from board_common import (
    BENCH,
    PASSWORD,
    PG_ADMIN_URL,
    Api,
    Server,
    database,
    drop_redis_prefix,
    free_port,
    pin_self,
    redis_prefix,
    serving,
    spread,
    stop_server,
    wait_healthy,
)
from harness import each_backend_in_a_child, machine, today

from revgraph.resolvers.ids import encode_id

STATS = "count averageSeconds medianSeconds p90Seconds"
FUNNEL = f"""
funnel(pipelineId: $pipelineId, range: $range) {{
  won lost wonValue winRate
  lossReasons {{ key label count value }}
  stages {{ stage {{ id name }} entered converted conversionRate current currentValue
           timeInStage {{ {STATS} }} }}
}}"""
LEADS = "leadReport(by: OWNER, range: $range) { key label count }"
FUNNEL_DOC = f"query Funnel($pipelineId: ID!, $range: ReportRange!) {{ {FUNNEL} }}"
LEADS_DOC = f"query Leads($range: ReportRange!) {{ {LEADS} }}"
DASHBOARD_DOC = f"query Dashboard($pipelineId: ID!, $range: ReportRange!) {{ {FUNNEL} {LEADS} }}"
MOVE = """
mutation($input: MoveDealInput!) { moveDeal(input: $input) { deal { id stage { id } } userErrors { code message } } }
"""
LOG_IN = "mutation($i: LogInInput!) { logIn(input: $i) { token } }"


def year(shift_seconds: int = 0) -> dict[str, str]:
    """The last 365 days, to the hour; `shift_seconds` earlier for a range
    of its own (a poll cache slot no other request shares)."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    end -= timedelta(seconds=shift_seconds)
    return {"from": (end - timedelta(days=365)).isoformat(), "to": end.isoformat()}


def body(document: str, pipeline_id: str, range_: dict[str, str]) -> dict[str, Any]:
    variables: dict[str, Any] = {"range": range_}
    if "$pipelineId" in document:
        variables["pipelineId"] = pipeline_id
    return {"query": document, "variables": variables}


def checked(response: httpx.Response) -> dict[str, Any]:
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise RuntimeError(f"{response.status_code}: {response.text[:400]}")
    return payload["data"]


# ---------------------------------------------------------------- building


CACHE = BENCH / "results" / "reports-cache"
CACHE_HOURS = 24
# Helpers sharing this machine's PostgreSQL each set their own name (a
# build drops the older templates of its name, and two runs of one name
# would drop each other's database).
DATABASE = os.environ.get("REVGRAPH_BENCH_REPORTS_DB", "revgraph_bench_reports")
TEMPLATE_PREFIX = f"{DATABASE}_tpl_"


def cache_key(args: argparse.Namespace) -> str:
    """What the generated database depends on: the generator, the
    migrations and the sizes."""
    digest = hashlib.sha256()
    for module in ("reports_data.py", "reports_rows.py", "reports_write.py"):
        digest.update((BENCH / module).read_bytes())
    for migration in sorted((BENCH.parent / "models" / "migrations").glob("0*.py")):
        digest.update(migration.read_bytes())
    digest.update(f"{args.deals}/{args.events}".encode())
    return digest.hexdigest()[:12]


def cached(backend: str, key: str) -> dict[str, Any] | None:
    """A build of `key` for `backend` made less than CACHE_HOURS ago (the
    data is anchored to its build time: 'the last year' must read the
    same history), or None."""
    meta = CACHE / f"{backend}-{key}.json"
    if not meta.exists():
        return None
    built = json.loads(meta.read_text())
    if time.time() - built["built_at"] > CACHE_HOURS * 3600:
        return None
    if backend == "sqlite" and not (CACHE / f"{key}.sqlite3").exists():
        return None
    skeleton = built["skeleton"]
    skeleton["users"] = {int(pk): user for pk, user in skeleton["users"].items()}
    built["skeleton"] = data.Skeleton(**skeleton)
    built["movable"] = {int(k): v for k, v in built["movable"].items()}
    return built


async def pg_admin(sql: str) -> None:
    conn = await reports_write.pg_connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def workspace_database(backend: str, args: argparse.Namespace) -> AsyncIterator[tuple[str, dict]]:
    """A database holding the generated workspace, dropped afterwards: a
    copy of the cached build when there is a fresh one (bench/results/
    reports-cache/; PostgreSQL: the template database
    revgraph_bench_reports_tpl_<key>), else built now and cached."""
    from board_common import server_env

    key = cache_key(args)
    built = None if args.fresh else cached(backend, key)
    name = DATABASE
    if built is not None and backend == "postgres":
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_PREFIX}{key}"')
        try:
            yield urlunparse(urlparse(PG_ADMIN_URL)._replace(path="/" + name)), built
        finally:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    async with database(backend, name=name) as url:
        if built is not None:
            shutil.copyfile(CACHE / f"{key}.sqlite3", url[len("sqlite://") :])
            print(f"    the cached build of {time.ctime(built['built_at'])} ({key})", flush=True)
            yield url, built
            return
        built = await build(url, server_env(url), args)
        CACHE.mkdir(parents=True, exist_ok=True)
        if backend == "sqlite":
            shutil.copyfile(url[len("sqlite://") :], CACHE / f"{key}.sqlite3")
        else:
            for old in await pg_templates():
                await pg_admin(f'DROP DATABASE IF EXISTS "{old}"')
            await pg_admin(f'CREATE DATABASE "{TEMPLATE_PREFIX}{key}" TEMPLATE "{name}"')
        meta = {**built, "skeleton": dataclasses.asdict(built["skeleton"]), "built_at": time.time()}
        (CACHE / f"{backend}-{key}.json").write_text(json.dumps(meta))
        yield url, built


async def pg_templates() -> list[str]:
    conn = await reports_write.pg_connect(PG_ADMIN_URL)
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", TEMPLATE_PREFIX + "%"
        )
        return [r["datname"] for r in rows]
    finally:
        await conn.close()


async def build(url: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Phase 1 through a served API, phase 2 in bulk with the server stopped."""
    started = time.perf_counter()
    # The server migrates the empty database first: at a load of 10-18 on
    # this machine that alone took over the default 90 s.
    with serving(env, health_timeout=600) as server:
        api = Api(server)
        try:
            skeleton = await data.skeleton(api)
        finally:
            await api.aclose()
    api_seconds = time.perf_counter() - started
    first = await reports_write.first_ids(url)
    began = time.perf_counter()
    rows = reports_rows.generate(
        skeleton, deals=args.deals, events=args.events, now=datetime.now(UTC), first_ids=first
    )
    generated = time.perf_counter() - began
    began = time.perf_counter()
    counts = await reports_write.write(url, skeleton, rows)
    written = time.perf_counter() - began
    # The movers' material: each agent's open deals of the main pipeline.
    main = skeleton.pipelines[0]
    open_stages = {st["id"]: st["position"] for st in main["stages"] if st["kind"] == "OPEN"}
    movable: dict[int, list[list[int]]] = {}
    for deal in rows.tables["deal"]:
        if deal["stage_id"] in open_stages:
            movable.setdefault(deal["owner_id"], []).append([deal["id"], open_stages[deal["stage_id"]]])
    del rows
    print(
        f"    built: API part {api_seconds:.1f} s, rows generated {generated:.1f} s, "
        f"written + ANALYZE {written:.1f} s: {counts}",
        flush=True,
    )
    return {
        "skeleton": skeleton,
        "movable": movable,
        "counts": counts,
        "seconds": {
            "api": round(api_seconds, 1),
            "generate": round(generated, 1),
            "write": round(written, 1),
        },
    }


# ---------------------------------------------------------------- in-process


async def in_process(
    url: str,
    env: dict[str, str],
    logins: dict[str, str],
    pipeline_id: str,
    n: int,
    polls: int = 2000,
    profile: str | None = None,
) -> dict:
    """First answers and a repeated poll through the ASGI app in this
    process: wall time per request (the server's time, no network) and
    the SQL statements of a request (tests/conftest.py's counter). The
    repeated poll's CPU through httpx counts the client's share too (about
    as much as the server's), so it is also measured with the app called
    directly (`server_only`), optionally under cProfile."""
    from contacts_list import counting_statements

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    os.environ.update(env)
    settings = Settings.from_env()
    await open_database(settings, migrate=False)
    results: dict[str, Any] = {}
    try:
        app = create_app(settings, migrate=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as http:
            shift = 1000
            for who, email in logins.items():
                token = checked(
                    await http.post(
                        "/graphql",
                        json={"query": LOG_IN, "variables": {"i": {"email": email, "password": PASSWORD}}},
                    )
                )["logIn"]["token"]
                headers = {"authorization": f"Bearer {token}"}
                await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)  # presence
                for name, document in (("funnel", FUNNEL_DOC), ("leadReport_owner", LEADS_DOC)):
                    walls, cpus, statements = [], [], []
                    for _ in range(n):
                        shift += 1
                        with counting_statements() as sql:
                            wall, cpu = time.perf_counter(), time.process_time()
                            checked(
                                await http.post(
                                    "/graphql", json=body(document, pipeline_id, year(shift)), headers=headers
                                )
                            )
                            walls.append(time.perf_counter() - wall)
                            cpus.append(time.process_time() - cpu)
                        statements.append(len(sql))
                    results[f"{name}_{who}_first"] = {
                        **spread(walls),
                        "cpu_ms_p50": round(statistics.median(cpus) * 1e3, 1),
                        "statements": max(statements),
                    }
                    print(
                        f"    in-process {name} as {who}, first answers: {results[f'{name}_{who}_first']}",
                        flush=True,
                    )
                # The repeated poll: the same document and variables again.
                repeat = body(DASHBOARD_DOC, pipeline_id, year())
                checked(await http.post("/graphql", json=repeat, headers=headers))
                walls, cpu0 = [], time.process_time()
                counts = []
                for _ in range(200):
                    with counting_statements() as sql:
                        wall = time.perf_counter()
                        checked(await http.post("/graphql", json=repeat, headers=headers))
                        walls.append(time.perf_counter() - wall)
                    counts.append(len(sql))
                results[f"dashboard_{who}_repeated"] = {
                    **spread(walls),
                    "cpu_ms_per_request": round((time.process_time() - cpu0) / 200 * 1e3, 3),
                    "statements": sorted(set(counts)),
                    "sql": [" ".join(s.split())[:200] for s in sql],
                }
                print(
                    f"    in-process dashboard as {who}, repeated: {results[f'dashboard_{who}_repeated']}",
                    flush=True,
                )
                # The same without the client: the ASGI app called directly.
                for method in ("POST", "GET"):
                    key = f"dashboard_{who}_repeated_server_{method.lower()}"
                    results[key] = await server_only(app, method, repeat, token, polls, profile)
                    print(
                        f"    in-process dashboard as {who}, {method}, server only: {results[key]}",
                        flush=True,
                    )
    finally:
        await close_database()
    return results


async def asgi_request(
    app: Any, method: str, headers: list[tuple[bytes, bytes]], body: bytes, query: bytes
) -> int:
    """One request through the ASGI app, no client: its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("bench", 80),
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def server_only(
    app: Any, method: str, repeat: dict[str, Any], token: str, polls: int, profile: str | None
) -> dict[str, Any]:
    """The repeated poll's CPU in the app alone (POST → 200, conditional
    GET → 304), in alternating thirds so that a burst of the machine's
    load lands on both; with `profile`, cProfile's top entries too (and the
    pstats file `profile`-<method>.pstats)."""
    from urllib.parse import urlencode

    auth = [(b"authorization", f"Bearer {token}".encode()), (b"host", b"bench")]
    if method == "POST":
        body = json.dumps(repeat).encode()
        headers = [
            *auth,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        args, expect = (headers, body, b""), 200
    else:
        query = urlencode({"query": repeat["query"], "variables": json.dumps(repeat["variables"])}).encode()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            etag = (
                await http.get("/graphql?" + query.decode(), headers={"authorization": f"Bearer {token}"})
            ).headers["etag"]
        args, expect = ([*auth, (b"if-none-match", etag.encode())], b"", query), 304
    for _ in range(20):  # warm
        await asgi_request(app, method, *args)
    cpus = []
    for _ in range(3):
        began = time.process_time()
        for _ in range(polls // 3):
            status = await asgi_request(app, method, *args)
            if status != expect:
                raise RuntimeError(f"{method}: {status}")
        cpus.append((time.process_time() - began) / (polls // 3) * 1e3)
    found: dict[str, Any] = {"cpu_ms_per_request": [round(c, 3) for c in cpus], "load": os.getloadavg()[0]}
    if profile:
        import cProfile
        import io
        import pstats

        # CPU time, not wall: on a busy machine a wall-clock profile is
        # mostly the time this process waited to be scheduled.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(polls // 3):
            await asgi_request(app, method, *args)
        profiler.disable()
        profiler.dump_stats(f"{profile}-{method.lower()}.pstats")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue(), flush=True)
    return found


# ---------------------------------------------------------------- over HTTP


async def log_in(http: httpx.AsyncClient, email: str) -> str:
    response = await http.post(
        "/graphql", json={"query": LOG_IN, "variables": {"i": {"email": email, "password": PASSWORD}}}
    )
    return checked(response)["logIn"]["token"]


def run_seconds(pid: int) -> float:
    """The time the process's threads have run on a CPU so far, to the
    nanosecond (/proc/<pid>/task/*/schedstat): utime + stime come in clock
    ticks of 10 ms, too coarse for a request of ~1 ms unless thousands are
    sent (20 repeats: steps of 0.5 ms)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[0])
    return total / 1e9


async def over_http(server: Any, tokens: dict[str, str], pipeline_id: str, n: int, repeats: int) -> dict:
    """First answers (a new range each) and the repeated poll (POST, then
    conditional GET → 304) against the served process: latency and its CPU."""
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=server.url, timeout=300) as http:
        shift = 5000
        for who, token in tokens.items():
            headers = {"authorization": f"Bearer {token}"}
            for name, document in (("funnel", FUNNEL_DOC), ("leadReport_owner", LEADS_DOC)):
                walls = []
                before = server.cpu_seconds()
                for _ in range(n):
                    shift += 1
                    began = time.perf_counter()
                    checked(
                        await http.post(
                            "/graphql", json=body(document, pipeline_id, year(shift)), headers=headers
                        )
                    )
                    walls.append(time.perf_counter() - began)
                cpu = (server.cpu_seconds() - before) / n
                results[f"{name}_{who}_first"] = {**spread(walls), "server_cpu_ms": round(cpu * 1e3, 1)}
                print(
                    f"    HTTP {name} as {who}, first answers: {results[f'{name}_{who}_first']}", flush=True
                )
            repeat = body(DASHBOARD_DOC, pipeline_id, year())
            checked(await http.post("/graphql", json=repeat, headers=headers))
            params = {"query": repeat["query"], "variables": json.dumps(repeat["variables"])}
            etag = (await http.get("/graphql", params=params, headers=headers)).headers["etag"]
            variants = {
                "POST": ({"json": repeat, "headers": headers}, 200),
                "GET": ({"params": params, "headers": {**headers, "if-none-match": etag}}, 304),
            }
            for method, (kwargs, expect) in variants.items():
                walls = []
                before, exact = server.cpu_seconds(), run_seconds(server.pid)
                for _ in range(repeats):
                    began = time.perf_counter()
                    response = await http.request(method, "/graphql", **kwargs)
                    walls.append(time.perf_counter() - began)
                    if response.status_code != expect:
                        raise RuntimeError(f"{method}: {response.status_code} {response.text[:200]}")
                cpu = (server.cpu_seconds() - before) / repeats
                exact = (run_seconds(server.pid) - exact) / repeats
                key = f"dashboard_{who}_repeated_{'post' if method == 'POST' else 'get_304'}"
                results[key] = {
                    **spread(walls),
                    "server_cpu_ms": round(cpu * 1e3, 3),
                    "server_run_ms": round(exact * 1e3, 3),
                }
                print(f"    HTTP dashboard as {who}, repeated {method}: {results[key]}", flush=True)
    return results


# ---------------------------------------------------------------- under load


async def movers(
    url: str,
    tokens: dict[int, str],
    movable: dict[int, list[list[int]]],
    stages: list[str],
    stop: float,
    think: float,
) -> dict[str, Any]:
    """Each agent moves one of its open deals a stage forward (or back at
    the last open stage), then waits `think` seconds, until `stop`."""
    latencies: list[float] = []
    outcome = {"accepted": 0, "refused": 0, "errors": 0}
    kinds: dict[str, int] = {}
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def agent(user: int, token: str) -> None:
            rng = random.Random(user)
            deals = movable[user]
            headers = {"authorization": f"Bearer {token}"}
            await asyncio.sleep(rng.random() * think)
            while time.monotonic() < stop:
                deal = rng.choice(deals)
                position = deal[1] + 1 if deal[1] + 1 < len(stages) else deal[1] - 1
                move = {"dealId": encode_id("Deal", deal[0]), "stageId": stages[position]}
                began = time.perf_counter()
                try:
                    response = await http.post(
                        "/graphql", json={"query": MOVE, "variables": {"input": move}}, headers=headers
                    )
                    payload = response.json()
                except (httpx.HTTPError, ValueError) as error:
                    outcome["errors"] += 1
                    kinds[type(error).__name__] = kinds.get(type(error).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200 or payload.get("errors"):
                    outcome["errors"] += 1
                    why = f"HTTP {response.status_code} {response.text[:120]}"
                    kinds[why] = kinds.get(why, 0) + 1
                elif payload["data"]["moveDeal"]["userErrors"]:
                    outcome["refused"] += 1
                else:
                    outcome["accepted"] += 1
                    deal[1] = position
                await asyncio.sleep(think)

        await asyncio.gather(*(agent(user, token) for user, token in tokens.items()))
    return {**(spread(latencies) if latencies else {"n": 0}), **outcome, "error_kinds": kinds}


async def dashboards(
    url: str, tokens: list[tuple[str, str]], pipeline_id: str, stop: float, every: float
) -> dict[str, Any]:
    """Each dashboard (a role and its token) polls the dashboard document
    every `every` seconds (a poll that takes longer is followed by the next
    at once), the first polls spread evenly over the first interval. The
    latencies are also given per role (`by_role`: whose scope changes with
    which moves)."""
    latencies: list[float] = []
    by_role: dict[str, list[float]] = {}
    outcome = {"answered": 0, "errors": 0, "late": 0}
    kinds: dict[str, int] = {}
    request = body(DASHBOARD_DOC, pipeline_id, year())
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def dashboard(index: int, role: str, token: str) -> None:
            headers = {"authorization": f"Bearer {token}"}
            due = time.monotonic() + every * index / len(tokens)
            while True:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if time.monotonic() >= stop:
                    return
                began = time.perf_counter()
                try:
                    response = await http.post("/graphql", json=request, headers=headers)
                    ok = response.status_code == 200 and not response.json().get("errors")
                    why = "" if ok else f"HTTP {response.status_code} {response.text[:120]}"
                except (httpx.HTTPError, ValueError) as error:
                    ok, why = False, type(error).__name__
                if why:
                    kinds[why] = kinds.get(why, 0) + 1
                took = time.perf_counter() - began
                latencies.append(took)
                by_role.setdefault(role, []).append(took)
                outcome["answered" if ok else "errors"] += 1
                if took > every:
                    outcome["late"] += 1
                due += every

        await asyncio.gather(*(dashboard(i, role, t) for i, (role, t) in enumerate(tokens)))
    roles = {
        role: {"n": len(took), **spread(took), "late": sum(1 for t in took if t > every)}
        for role, took in sorted(by_role.items())
    }
    return {
        **(spread(latencies) if latencies else {"n": 0}),
        **outcome,
        "error_kinds": kinds,
        "by_role": roles,
    }


def thread_cpu(pid: int) -> dict[int, tuple[int, float]]:
    """Per thread of a process: its niceness and CPU seconds so far."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            raw = (task / "stat").read_text()
            fields = raw[raw.rindex(")") + 2 :].split()
            found[int(task.name)] = (int(fields[16]), (int(fields[11]) + int(fields[12])) / tick)
    return found


def database_cpu(name: str) -> dict[int, float]:
    """CPU seconds so far of the PostgreSQL backends serving database `name`,
    and of every parallel worker on the machine, by process."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not command.startswith("postgres:") or (
                f" {name} " not in command and "parallel worker" not in command
            ):
                continue
            raw = (proc / "stat").read_text()
            fields = raw[raw.rindex(")") + 2 :].split()
            found[int(proc.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def database_cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """What the processes alive at the end used since `before` (a backend or
    worker that ended meanwhile is not counted: a lower bound)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def cpu_shares(
    before: dict[int, tuple[int, float]], after: dict[int, tuple[int, float]], pid: int, elapsed: float
) -> dict[str, float]:
    """The server's CPU over `elapsed` seconds split: its main thread (the
    event loop), its other threads at the process's niceness (the shared
    connection's, the executor's) and the nicer ones (SQLite's report
    connection, on a build that renices it)."""
    nice = after.get(pid, (0, 0.0))[0]
    shares = {"loop": 0.0, "threads": 0.0, "nicer_threads": 0.0}
    for tid, (niceness, seconds) in after.items():
        used = seconds - before.get(tid, (niceness, 0.0))[1]
        key = "loop" if tid == pid else ("nicer_threads" if niceness > nice else "threads")
        shares[key] += used
    return {key: round(used / elapsed, 3) for key, used in shares.items()}


async def under_load(server: Any, built: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    sk: data.Skeleton = built["skeleton"]
    main = sk.pipelines[0]
    open_stage_ids = [encode_id("Stage", st["id"]) for st in main["stages"] if st["kind"] == "OPEN"]
    pipeline_id = encode_id("Pipeline", main["id"])
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
        agents = [pk for pk, u in sk.users.items() if u["role"] == "AGENT" and built["movable"].get(pk)][
            : args.movers
        ]
        mover_tokens = {pk: await log_in(http, sk.users[pk]["email"]) for pk in agents}
        watchers = [
            (u["role"], await log_in(http, u["email"]))
            for _ in range(args.dashboards // len(sk.users))
            for u in sk.users.values()
        ]
    results: dict[str, Any] = {"dashboards": len(watchers), "movers": len(mover_tokens)}
    load = os.getloadavg()[0]
    stop = time.monotonic() + args.load_seconds / 2
    results["moves_alone"] = await movers(
        server.url, mover_tokens, built["movable"], open_stage_ids, stop, args.think
    )
    results["moves_alone"]["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    print(f"    moveDeal alone: {results['moves_alone']}", flush=True)
    load, cpu = os.getloadavg()[0], server.cpu_seconds()
    threads, database = thread_cpu(server.pid), database_cpu(DATABASE)
    began = time.monotonic()
    stop = began + args.load_seconds
    polls, moves = await asyncio.gather(
        dashboards(server.url, watchers, pipeline_id, stop, args.every),
        movers(server.url, mover_tokens, built["movable"], open_stage_ids, stop, args.think),
    )
    elapsed = time.monotonic() - began
    polls["polls_per_second"] = round(polls["n"] / elapsed, 1)
    polls["server_cpu_share"] = round((server.cpu_seconds() - cpu) / elapsed, 2)
    polls["server_cpu_by_thread"] = cpu_shares(threads, thread_cpu(server.pid), server.pid, elapsed)
    polls["database_cpu_share"] = round(database_cpu_used(database, database_cpu(DATABASE)) / elapsed, 3)
    polls["load_average"] = moves["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    results["polls"], results["moves_with_dashboards"] = polls, moves
    results["server_errors"] = server_errors(server)
    print(f"    {len(watchers)} dashboards: {polls}", flush=True)
    print(f"    moveDeal with them: {moves}", flush=True)
    return results


# `revgraph serve` of a baseline's package, first on PYTHONPATH (bench/reads.py's way).
SERVE_BASELINE = "import sys; from revgraph.web.cli import main; sys.exit(main(sys.argv[1:]))"


@contextlib.contextmanager
def serving_baseline(env: dict[str, str], ref: str) -> Any:
    """`revgraph serve` of git ref `ref`, pinned to core 0 like this
    checkout's (board_common.serving), stopped afterwards."""
    from reads import baseline_path

    port = free_port()
    argv = [sys.executable, "-c", SERVE_BASELINE, "serve", "--port", str(port), "--log-level", "warning"]
    log = tempfile.TemporaryFile(mode="w+")
    env = {**env, "PYTHONPATH": str(baseline_path(ref))}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    if (os.cpu_count() or 1) > 1:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(process.pid, {0})
    server = Server(process, port, log)
    try:
        wait_healthy(server, 90)
        yield server
    finally:
        stop_server(server)


def writers_ratios(load: dict[str, Any]) -> dict[str, float | None]:
    """moveDeal's p50 and p99 with the dashboards ÷ the same without them."""
    alone, loaded = load["moves_alone"], load["moves_with_dashboards"]
    return {
        f"{q}_ratio": round(loaded[f"{q}_ms"] / alone[f"{q}_ms"], 2)
        if alone.get(f"{q}_ms") and loaded.get(f"{q}_ms")
        else None
        for q in ("p50", "p99")
    }


async def alternated(env: dict[str, str], built: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Step 3 on this checkout and on `args.baseline`, `args.rounds` times,
    the order swapped each round (this first in odd rounds), on one
    database; per round and variant the writers' with ÷ alone ratios."""
    rounds: list[dict[str, Any]] = []
    for number in range(args.rounds):
        order = ["this", "baseline"] if number % 2 == 0 else ["baseline", "this"]
        found: dict[str, Any] = {"order": order}
        for variant in order:
            print(f"    round {number + 1}, {variant}", flush=True)
            served = serving(env, cpu=0) if variant == "this" else serving_baseline(env, args.baseline)
            with served as server:
                load = await under_load(server, built, args)
            load["writers"] = writers_ratios(load)
            print(f"    round {number + 1}, {variant}: writers with ÷ alone {load['writers']}", flush=True)
            found[variant] = load
        rounds.append(found)
    summary = {variant: [round_[variant]["writers"] for round_ in rounds] for variant in ("this", "baseline")}
    print(f"    writers with ÷ alone, per round: {summary}", flush=True)
    return {"baseline": args.baseline, "rounds": rounds, "writers": summary}


async def first_alternated(
    env: dict[str, str], logins: dict[str, str], pipeline_id: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Step 1 over HTTP on a server of this checkout and one of
    `args.baseline`, `args.first_rounds` times, the order swapped each
    round, on one database (first answers write nothing); per round,
    variant, report and caller: the latency p50 and the server's CPU per
    answer, and the load average."""
    rounds: list[dict[str, Any]] = []
    for number in range(args.first_rounds):
        order = ["this", "baseline"] if number % 2 == 0 else ["baseline", "this"]
        found: dict[str, Any] = {"order": order}
        for variant in order:
            served = serving(env, cpu=0) if variant == "this" else serving_baseline(env, args.baseline)
            with served as server:
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                    tokens = {who: await log_in(http, email) for who, email in logins.items()}
                load = os.getloadavg()[0]
                answers = await over_http(server, tokens, pipeline_id, args.first, args.repeats)
            found[variant] = {
                key: {"p50_ms": value.get("p50_ms"), "server_cpu_ms": value.get("server_cpu_ms")}
                for key, value in answers.items()
                if key.endswith("_first")
            }
            found[variant]["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
            print(f"    first answers, round {number + 1}, {variant}: {found[variant]}", flush=True)
        rounds.append(found)
    return {"baseline": args.baseline, "rounds": rounds}


def server_errors(server: Any) -> dict[str, Any]:
    """What the server logged as errors during the run: each traceback's
    last line (the exception) and other ERROR lines, counted, with the
    first traceback of each exception (its last 40 lines) as an example."""
    server.log.seek(0)
    found: dict[str, Any] = {}
    examples: dict[str, str] = {}
    lines = server.log.read().splitlines()
    for number, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = number + 1
            while end < len(lines) and (lines[end].startswith(" ") or lines[end].startswith("During")):
                end += 1
            key = lines[end][:200] if end < len(lines) else "traceback"
            examples.setdefault(key, "\n".join(lines[max(number, end - 40) : end + 1]))
        elif "ERROR" in line:
            key = line[:200]
        else:
            continue
        found[key] = found.get(key, 0) + 1
    return {**found, "examples": examples} if examples else found


# ---------------------------------------------------------------- per backend


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from board_common import server_env

    pin_self(1)
    print(f"  {backend}", flush=True)
    prefix = redis_prefix() if backend == "postgres" else None
    try:
        async with workspace_database(backend, args) as (url, built):
            env = server_env(url, redis_prefix=prefix)
            if args.report_computations is not None:
                env["REVGRAPH_REPORT_COMPUTATIONS"] = str(args.report_computations)
            if args.report_busy_percent is not None:
                env["REVGRAPH_REPORT_BUSY_PERCENT"] = str(args.report_busy_percent)
            sk: data.Skeleton = built["skeleton"]
            pipeline_id = encode_id("Pipeline", sk.pipelines[0]["id"])
            manager = next(u["email"] for u in sk.users.values() if u["name"] == "Gerente SP")
            logins = {"admin": data.ADMIN_EMAIL, "manager": manager}
            result: dict[str, Any] = {"built": {k: v for k, v in built.items() if k in ("counts", "seconds")}}
            result["load_average_start"] = round(os.getloadavg()[0], 2)
            result["in_process"] = await in_process(
                url, env, logins, pipeline_id, args.first, args.polls, args.profile
            )
            with serving(env, cpu=0) as server:
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                    tokens = {who: await log_in(http, email) for who, email in logins.items()}
                result["http"] = await over_http(server, tokens, pipeline_id, args.first, args.repeats)
                if args.load_seconds > 0 and not args.baseline:
                    result["load"] = await under_load(server, built, args)
            if args.load_seconds > 0 and args.baseline:
                result["load"] = await alternated(env, built, args)
            if args.baseline and args.first_rounds:
                result["first_alternated"] = await first_alternated(env, logins, pipeline_id, args)
            result["load_average_end"] = round(os.getloadavg()[0], 2)
    finally:
        if prefix is not None:
            await drop_redis_prefix(prefix)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--first", type=int, default=5, help="first answers per report and caller")
    parser.add_argument("--repeats", type=int, default=300, help="repeated polls per method")
    parser.add_argument(
        "--polls", type=int, default=2000, help="repeated polls per method, in-process without the client"
    )
    parser.add_argument("--profile", help="cProfile the in-process repeated polls into FILE-<method>.pstats")
    parser.add_argument("--dashboards", type=int, default=200)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a dashboard's polls")
    parser.add_argument("--movers", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a mover waits between moves")
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument(
        "--report-computations",
        type=int,
        help="the server's REVGRAPH_REPORT_COMPUTATIONS (default: the server's own)",
    )
    parser.add_argument(
        "--report-busy-percent",
        type=int,
        help="the server's REVGRAPH_REPORT_BUSY_PERCENT (default: the server's own)",
    )
    parser.add_argument(
        "--baseline",
        default="",
        help="git ref whose server runs the load phase too, alternated with this checkout's ('': none)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="load-phase rounds with --baseline")
    parser.add_argument(
        "--first-rounds",
        type=int,
        default=0,
        help="with --baseline: rounds of step 1 over HTTP on this checkout's server and the baseline's, alternated",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help=f"build the workspace even if a build of the last {CACHE_HOURS} h is cached",
    )
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    forward = [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in (
            "deals",
            "events",
            "first",
            "repeats",
            "polls",
            "dashboards",
            "every",
            "movers",
            "think",
            "load_seconds",
        )
    ]
    if args.report_computations is not None:
        forward.append(f"--report-computations={args.report_computations}")
    if args.report_busy_percent is not None:
        forward.append(f"--report-busy-percent={args.report_busy_percent}")
    if args.baseline:
        forward += [
            f"--baseline={args.baseline}",
            f"--rounds={args.rounds}",
            f"--first-rounds={args.first_rounds}",
        ]
    if args.profile:
        forward.append(f"--profile={os.path.abspath(args.profile)}")
    if not args.child_json:
        print(f"reports — {today()}, {machine()}, load average {os.getloadavg()[0]:.2f}", flush=True)
    each_backend_in_a_child(
        args,
        run_backend,
        forward,
        results_name="reports",
        recorded={"options": vars(args) | {"child_json": None}},
    )


if __name__ == "__main__":
    from board_common import exit_cleanly_on_sigterm

    exit_cleanly_on_sigterm()
    main()
