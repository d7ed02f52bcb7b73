"""What the distribution benchmarks (distribution.py, capture.py) share: a
production-shaped cluster — two `revgraph serve` processes and one
`revgraph worker` on one fresh PostgreSQL database and Redis — a GraphQL
client per process, a graphql-transport-ws client, the seeded workspace,
and the statistics.

Everything the cluster leaves behind is removed even on failure: the
processes (also if this script is killed: they get SIGTERM when it dies),
the database and this run's Redis keys (the Redis is shared: never FLUSHDB)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse, urlunparse

import httpx
import websockets
from board_common import PG_ADMIN_URL, _pg_admin, _refuse_if_in_use

REDIS_URL = os.environ.get("REVGRAPH_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PG_DATABASE = "revgraph_bench_dist"
REVGRAPH = str(Path(sys.executable).with_name("revgraph"))
PASSWORD = "bench-password"
AGENTS = 20

# ---------------------------------------------------------------- numbers


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(seconds: list[float]) -> dict[str, float]:
    """n, p50/p99/max in milliseconds of durations given in seconds."""
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1e3, 1),
        "p99_ms": round(percentile(seconds, 99) * 1e3, 1),
        "max_ms": round(max(seconds) * 1e3, 1),
    }


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children so far."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# Where a bench run writes its JSON (git-ignored).
RESULTS = Path(__file__).resolve().parent / "results"


async def run_backends(
    title: str, args: Any, run_backend: Any, results: dict[str, Any], json_path: str | None
) -> int:
    """Run `run_backend(backend, args)` -> (numbers, failures) for each of
    `args.backend`, the load average before and after each, and report it
    all (JSON in bench/results/ unless `json_path` says where)."""
    results = {**results, "load_before": load_average()}
    failures: list[str] = []
    for backend in args.backend:
        results[backend], failed = await run_backend(backend, args)
        results[f"load_after_{backend}"] = load_average()
        failures += failed
    RESULTS.mkdir(exist_ok=True)
    json_path = json_path or str(RESULTS / f"{title}-{time.strftime('%Y-%m-%d-%H%M%S')}.json")
    return report(title, results, failures, json_path)


def report(title: str, results: dict[str, Any], failures: list[str], json_path: str | None) -> int:
    """Print the numbers (and write them as JSON when asked); exit status 1 on a failed check."""
    results = {"bench": title, "date": today(), "machine": machine(), **results, "failures": failures}
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for failure in failures:
        print(f"CHECK FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


# ---------------------------------------------------------------- database and Redis


async def _drop_redis_prefix(prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# ---------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the benchmark dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def server_env(database_url: str, redis_prefix: str | None) -> dict[str, str]:
    """Fast password hashing for seeding, and budgets high enough that the
    benchmark measures distribution, not throttling. Without a Redis
    prefix: embedded mode (tasks and events in-process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVGRAPH_")}
    if redis_prefix is not None:
        env.update({"REVGRAPH_REDIS_URL": REDIS_URL, "REVGRAPH_REDIS_PREFIX": redis_prefix})
    env.update(
        {
            "REVGRAPH_DATABASE_URL": database_url,
            "REVGRAPH_SECRET_KEY": "bench-distribution-secret-key",
            "REVGRAPH_ENV": "development",
            "REVGRAPH_ARGON2_TIME_COST": "1",
            "REVGRAPH_ARGON2_MEMORY_KIB": "1024",
            "REVGRAPH_RATE_LIMIT_POINTS": str(10**12),
            "REVGRAPH_LOGIN_FAILURES_PER_IP": str(10**6),
        }
    )
    return env


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: IO[str]
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.popen.pid)

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-3000:]


def _spawn(name: str, argv: list[str], env: dict[str, str], port: int | None = None) -> Process:
    log = tempfile.TemporaryFile(mode="w+")
    popen = subprocess.Popen(
        argv, env=env, stdout=log, stderr=subprocess.STDOUT, text=True, preexec_fn=_die_with_parent
    )
    return Process(name, popen, log, port)


async def _wait_healthy(process: Process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited with {process.popen.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(process.url + "/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise TimeoutError(f"{process.name} not healthy after {timeout} s")


def _stop(process: Process) -> None:
    if process.popen.poll() is None:
        process.popen.send_signal(signal.SIGTERM)
        try:
            process.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()
    process.log.close()


@dataclass
class Cluster:
    database_url: str
    servers: list[Process]
    # None on SQLite: embedded mode runs tasks in the server process.
    worker: Process | None


@contextlib.asynccontextmanager
async def _fresh_database(backend: str, name: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        try:
            yield f"sqlite://{folder / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    await _refuse_if_in_use(name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_ADMIN_URL)._replace(path="/" + name))
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def cluster(
    servers: int = 2, *, backend: str = "postgres", name: str = PG_DATABASE
) -> AsyncIterator[Cluster]:
    """`servers` API processes on a fresh database, all removed afterwards,
    failure or not. PostgreSQL (database `name`): with a fresh Redis prefix
    and one worker. SQLite: a fresh file in embedded mode (no Redis, tasks
    in the server process, so one server)."""
    if backend not in ("postgres", "sqlite") or (backend == "sqlite" and servers != 1):
        raise ValueError(f"no cluster of {servers} servers on {backend}")
    prefix = f"rgbench-dist-{uuid.uuid4().hex[:8]}" if backend == "postgres" else None
    started: list[Process] = []
    async with _fresh_database(backend, name) as database_url:
        env = server_env(database_url, prefix)
        try:
            # One at a time: the first one migrates the empty database.
            for index in range(servers):
                port = _free_port()
                argv = [REVGRAPH, "serve", "--port", str(port), "--log-level", "warning"]
                started.append(_spawn(f"serve-{index + 1}", argv, env, port))
                await _wait_healthy(started[-1])
            worker = None
            if prefix is not None:
                argv = [REVGRAPH, "worker", "--processes", "1", "--threads", "2"]
                worker = _spawn("worker", argv, env)
                started.append(worker)
                await asyncio.sleep(1.0)
                if worker.popen.poll() is not None:
                    raise RuntimeError(f"worker exited with {worker.popen.returncode}")
            yield Cluster(database_url, started[:servers], worker)
        except BaseException:
            for process in started:
                sys.stderr.write(f"--- {process.name} output (tail) ---\n{process.tail()}\n")
            raise
        finally:
            for process in started:
                _stop(process)
            if prefix is not None:
                await _drop_redis_prefix(prefix)


def run(main: Callable[[], Any], *, limit_seconds: float) -> int:
    """Run an async main bounded in time; SIGTERM cancels it so the
    cluster's cleanup still runs."""

    async def bounded() -> int:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        async with asyncio.timeout(limit_seconds):
            return await main()

    return asyncio.run(bounded())


# ---------------------------------------------------------------- GraphQL


class GraphQLError(RuntimeError):
    pass


class Api:
    """GraphQL over HTTP against one server process."""

    def __init__(
        self, url: str, *, connections: int = 8, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        """`transport`: e.g. httpx.ASGITransport, to talk to an app in this process."""
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.AsyncClient(base_url=url, timeout=60, limits=limits, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ok(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict:
        """The data of a clean answer: no top-level errors and no userErrors."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        if body.get("errors"):
            raise GraphQLError(f"GraphQL errors: {body['errors']}")
        for payload in body["data"].values():
            if isinstance(payload, dict) and payload.get("userErrors"):
                raise GraphQLError(f"userErrors: {payload['userErrors']}")
        return body["data"]


SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } userErrors { code message field } } }
"""
CREATE_USER = """
mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code message field } } }
"""
LOG_IN = """
mutation($input: LogInInput!) { logIn(input: $input) { token user { id } userErrors { code message field } } }
"""
CREATE_QUEUE = """
mutation($input: QueueInput!) {
  createQueue(input: $input) { queue { id strategy members { user { id } weight } } userErrors { code message field } }
}
"""
ASSIGNMENT_COUNT = "query($q: ID!) { assignments(queueId: $q, first: 1) { totalCount } }"


@dataclass
class Person:
    id: str
    token: str


@dataclass
class Workspace:
    admin: Person
    agents: list[Person] = field(default_factory=list)


async def seed_workspace(api: Api, *, agents: int = AGENTS, log_in_agents: bool = False) -> Workspace:
    """A signed-up workspace with `agents` AGENT users (logged in when asked)."""
    tag = uuid.uuid4().hex[:6]
    data = await api.ok(
        SIGN_UP,
        {
            "input": {
                "workspaceName": "Bench Roletas",
                "name": "Bench Admin",
                "email": f"admin-{tag}@bench-dist.example",
                "password": PASSWORD,
            }
        },
    )
    workspace = Workspace(Person(data["signUp"]["user"]["id"], data["signUp"]["token"]))
    for index in range(agents):
        email = f"agente{index + 1}-{tag}@bench-dist.example"
        created = await api.ok(
            CREATE_USER,
            {"input": {"name": f"Agente {index + 1}", "email": email, "password": PASSWORD, "role": "AGENT"}},
            token=workspace.admin.token,
        )
        token = ""
        if log_in_agents:
            token = (await api.ok(LOG_IN, {"input": {"email": email, "password": PASSWORD}}))["logIn"][
                "token"
            ]
        workspace.agents.append(Person(created["createUser"]["user"]["id"], token))
    return workspace


async def create_queue(
    api: Api, workspace: Workspace, *, name: str, strategy: str, weights: list[int] | None = None
) -> str:
    """An OFFLINE queue (presence does not matter) of every agent, in order."""
    members = [
        {"userId": agent.id, "weight": weights[i] if weights else 1}
        for i, agent in enumerate(workspace.agents)
    ]
    data = await api.ok(
        CREATE_QUEUE,
        {"input": {"name": name, "mode": "OFFLINE", "strategy": strategy, "members": members}},
        token=workspace.admin.token,
    )
    return data["createQueue"]["queue"]["id"]


# ---------------------------------------------------------------- SQL read-back


@contextlib.asynccontextmanager
async def sql(database_url: str) -> AsyncIterator[Any]:
    """A plain asyncpg connection to the benchmark database, for read-back."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        yield conn
    finally:
        await conn.close()


def pk(global_id: str, type_name: str) -> int:
    from revgraph.resolvers.ids import pk_of

    value = pk_of(global_id, type_name)
    if value is None:
        raise ValueError(f"not a {type_name} id: {global_id}")
    return value


# ---------------------------------------------------------------- graphql-transport-ws


@contextlib.asynccontextmanager
async def subscription(ws_url: str, token: str, query: str) -> AsyncIterator[Any]:
    """An acknowledged connection carrying one subscription (id "1")."""
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"], max_queue=None) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        yield ws


async def messages(ws: Any) -> AsyncIterator[tuple[float, dict[str, Any]]]:
    """(arrival time, payload) of each `next`; answers pings; fails on error/complete."""
    async for raw in ws:
        arrived = time.perf_counter()
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        elif kind == "next":
            yield arrived, message["payload"]
        elif kind in ("error", "complete"):
            raise RuntimeError(f"subscription ended: {message}")


async def stop_listening(listeners: list[asyncio.Task]) -> None:
    """Cancel the tasks reading subscriptions; raise the first failure one had."""
    for task in listeners:
        task.cancel()
    outcomes = await asyncio.gather(*listeners, return_exceptions=True)
    failed = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if failed:
        raise RuntimeError(f"a subscription failed: {failed[0]!r}")
