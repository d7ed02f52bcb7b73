"""What the board benchmarks (board_query, move_deal, fanout) share: a
throwaway database, `revgraph serve` processes started the way operators
start them, a GraphQL client, and a board seeded through the public API.

Everything is seeded through GraphQL (signUp, createUser, createPipeline,
createDeal) so the rows are exactly what the use cases write. Contacts are
attached only when the API offers `createContact`, and `Deal.contact` is
read only when the schema has it: the 360° graph may not be there yet."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx

BENCH = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("REVGRAPH_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REVGRAPH_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PG_DATABASE = os.environ.get("REVGRAPH_BENCH_BOARD_DB", "revgraph_bench_board")
REVGRAPH = str(Path(sys.executable).with_name("revgraph"))
# `revgraph` of whatever `revgraph` package comes first on PYTHONPATH (a
# baseline's `git archive`, reads.baseline_path), in place of REVGRAPH.
SERVE_ARCHIVED = [
    sys.executable,
    "-c",
    "import sys; from revgraph.web.cli import main; sys.exit(main(sys.argv[1:]))",
]
PASSWORD = "bench-password"
STAGE_NAMES = [
    "Novo lead",
    "Em contato",
    "Visita agendada",
    "Visita feita",
    "Proposta",
    "Negociação",
    "Contrato",
    "Escritura",
]


# ---------------------------------------------------------------- machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """(utime, stime) of a process so far: user and kernel CPU seconds."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces: fields start after its ")".
    fields = raw[raw.rindex(")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(values: list[float]) -> dict[str, float]:
    """p50/p99/max in milliseconds of values given in seconds."""
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1e3, 2),
        "p99_ms": round(percentile(values, 99) * 1e3, 2),
        "max_ms": round(max(values) * 1e3, 2),
    }


def exit_cleanly_on_sigterm() -> None:
    """`timeout` sends SIGTERM: turn it into SystemExit so the finally
    blocks still stop the servers and drop the database."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def pin_self(cpu: int) -> None:
    """Keep the load generator off the server's core when there are two."""
    if (os.cpu_count() or 1) > 1:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})


# ---------------------------------------------------------------- databases


async def _pg_admin(sql: str, *args: Any) -> list[Any]:
    import asyncpg

    parsed = urlparse(PG_ADMIN_URL)
    conn = await asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.path.lstrip("/") or "postgres",
    )
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _refuse_if_in_use(name: str) -> None:
    """A database another run is connected to is not dropped under it (its
    servers would answer INTERNAL for a database that "does not exist")."""
    [(count,)] = await _pg_admin("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name)
    if count:
        raise RuntimeError(
            f"database {name} has {count} connection(s): another bench run is using it. Give this run a "
            "database of its own (the bench's REVGRAPH_BENCH_*_DB variable) or stop the other run."
        )


@contextlib.asynccontextmanager
async def database(backend: str, *, name: str = PG_DATABASE) -> AsyncIterator[str]:
    """A fresh, empty database URL for `backend` (sqlite | postgres), removed
    afterwards. PostgreSQL: the database `name` (a run of its own needs a
    name of its own: the server is shared)."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="revgraph-bench-board-"))
        try:
            yield f"sqlite://{folder / 'board.sqlite3'}"
        finally:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        return
    if backend != "postgres":
        raise ValueError(backend)
    await _refuse_if_in_use(name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_ADMIN_URL)._replace(path="/" + name))
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_prefix() -> str:
    return f"rgbench-board-{uuid.uuid4().hex[:8]}"


async def drop_redis_prefix(prefix: str) -> int:
    """Delete this run's keys only (events, rate limits, task queues); the
    Redis is shared, so never FLUSHDB."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.aclose()


# ---------------------------------------------------------------- servers


def server_env(
    database_url: str, *, redis_prefix: str | None = None, redis_url: str = REDIS_URL
) -> dict[str, str]:
    """The environment of a benchmarked server: fast password hashing for
    the seeding, and budgets high enough that nothing is throttled. With
    `redis_prefix`, Redis mode on `redis_url` (the machine's shared one by
    default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVGRAPH_")}
    env.update(
        {
            "REVGRAPH_DATABASE_URL": database_url,
            "REVGRAPH_SECRET_KEY": "bench-board-secret-key",
            "REVGRAPH_ENV": "development",
            "REVGRAPH_ARGON2_TIME_COST": "1",
            "REVGRAPH_ARGON2_MEMORY_KIB": "1024",
            "REVGRAPH_RATE_LIMIT_POINTS": str(10**12),
            "REVGRAPH_MAX_COST": str(10**9),
            "REVGRAPH_LOGIN_FAILURES_PER_IP": str(10**6),
        }
    )
    if redis_prefix is not None:
        env["REVGRAPH_REDIS_URL"] = redis_url
        env["REVGRAPH_REDIS_PREFIX"] = redis_prefix
    return env


@dataclass
class Server:
    """One `revgraph serve` process."""

    process: subprocess.Popen
    port: int
    # Its stderr: a file, not a pipe, so a full pipe never stalls it.
    log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return self.url + "/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


def wait_healthy(server: Server, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"revgraph serve exited with {server.process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if http.get(server.url + "/healthz").status_code == 200:
                    return
            time.sleep(0.02)
    raise TimeoutError(f"{server.url} not healthy after {timeout} s")


def spawn_server(
    env: dict[str, str], *, port: int | None = None, cpu: int | None = None, command: list[str] | None = None
) -> Server:
    """Start `revgraph serve` on `port` (a free one by default), optionally
    pinned to one core; not waited for (see `wait_healthy`). `command`: what
    runs in place of this checkout's `revgraph` (a baseline's, SERVE_ARCHIVED)."""
    port = port or free_port()
    argv = [*(command or [REVGRAPH]), "serve", "--port", str(port), "--log-level", "warning"]
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    if cpu is not None and (os.cpu_count() or 1) > 1:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(process.pid, {cpu})
    return Server(process, port, log)


def server_log_tail(server: Server, size: int = 4000) -> str:
    server.log.seek(0)
    return server.log.read()[-size:]


def stop_server(server: Server) -> None:
    """SIGINT (uvicorn's graceful stop), SIGKILL after 20 s; closes its log."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log.close()


@contextlib.contextmanager
def serving(
    env: dict[str, str],
    *,
    cpu: int | None = None,
    health_timeout: float = 90,
    command: list[str] | None = None,
) -> Iterator[Server]:
    """Start `revgraph serve` (optionally pinned to one core; `command` as
    for `spawn_server`), wait for /healthz, and stop it afterwards, failure
    or not."""
    server = spawn_server(env, cpu=cpu, command=command)
    try:
        wait_healthy(server, health_timeout)
        yield server
    except BaseException:
        tail = server_log_tail(server)
        if tail:
            sys.stderr.write(f"--- revgraph serve :{server.port} stderr ---\n{tail}\n")
        raise
    finally:
        stop_server(server)


def spawn_worker(env: dict[str, str], *, processes: int = 1, threads: int = 8) -> subprocess.Popen:
    """`revgraph worker`, leading a process group of its own so that its
    Dramatiq processes can be signalled together."""
    argv = [REVGRAPH, "worker", "--processes", str(processes), "--threads", str(threads)]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop_worker(process: subprocess.Popen, *, kill: bool = False) -> None:
    """SIGTERM (Dramatiq's main process passes it on and waits for running
    messages), or with `kill` SIGKILL to the whole group at once: a crash."""
    with contextlib.suppress(ProcessLookupError):
        if kill:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def working(env: dict[str, str], processes: int) -> Iterator[subprocess.Popen | None]:
    """`revgraph worker --processes N` for the block (none for N = 0)."""
    if processes == 0:
        yield None
        return
    process = spawn_worker(env, processes=processes)
    try:
        yield process
    finally:
        stop_worker(process)


def group_cpu_seconds(leader: int) -> float:
    """CPU of a process and its children (Dramatiq forks its workers)."""
    total = cpu_seconds(leader)
    children = Path(f"/proc/{leader}/task/{leader}/children")
    with contextlib.suppress(OSError):
        for pid in children.read_text().split():
            total += group_cpu_seconds(int(pid))
    return total


# ---------------------------------------------------------------- GraphQL


class GraphQLError(RuntimeError):
    pass


class Api:
    """GraphQL over HTTP against one server; `ok` insists on a clean answer."""

    def __init__(self, server: Server, *, connections: int = 16) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def ok(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict:
        body = await self(query, variables, token)
        if body.get("errors"):
            raise GraphQLError(f"GraphQL errors: {body['errors']}")
        data = body["data"]
        for payload in data.values():
            if isinstance(payload, dict) and payload.get("userErrors"):
                raise GraphQLError(f"userErrors: {payload['userErrors']}")
        return data


SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } userErrors { code message field } } }
"""
CREATE_USER = """
mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code message field } } }
"""
LOG_IN = """
mutation($input: LogInInput!) { logIn(input: $input) { token user { id } userErrors { code message field } } }
"""
CREATE_PIPELINE = """
mutation($input: PipelineInput!) {
  createPipeline(input: $input) { pipeline { id boardSequence stages { id name } } userErrors { code message field } }
}
"""
CREATE_CONTACT = """
mutation($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { code message field } } }
"""
CREATE_DEAL = """
mutation($input: DealInput!) { createDeal(input: $input) { deal { id } userErrors { code message field } } }
"""
MOVE_DEAL = """
mutation($input: MoveDealInput!) {
  moveDeal(input: $input) { deal { id version stage { id } } userErrors { code message field } }
}
"""
TYPE_FIELDS = """query($name: String!) { __type(name: $name) { fields { name } } }"""


async def has_field(api: Api, type_name: str, field_name: str) -> bool:
    data = await api.ok(TYPE_FIELDS, {"name": type_name})
    return any(f["name"] == field_name for f in (data["__type"] or {}).get("fields") or [])


def board_query(*, with_contact: bool) -> str:
    """The issue's board query (contact only when Deal.contact exists)."""
    contact = " contact { name }" if with_contact else ""
    return f"""
query Board($id: ID!, $first: Int!) {{
  pipeline(id: $id) {{
    boardSequence
    stages {{
      id name dealCount totalValue
      deals(first: $first) {{ edges {{ node {{ id title value owner {{ name }}{contact} }} }} }}
    }}
  }}
}}
"""


# ---------------------------------------------------------------- seeding


@dataclass
class Person:
    id: str
    token: str
    role: str


@dataclass
class Workspace:
    admin: Person
    agents: list[Person] = field(default_factory=list)

    @property
    def owners(self) -> list[Person]:
        return [self.admin, *self.agents]


@dataclass
class Board:
    pipeline_id: str
    stage_ids: list[str]
    # deal id -> (owner user id, stage id) as seeded
    deals: dict[str, tuple[str, str]]
    with_contacts: bool
    sequence: int


async def seed_workspace(api: Api, *, agents: int = 0, tag: str = "") -> Workspace:
    """A signed-up workspace with `agents` AGENT users, all logged in."""
    tag = tag or uuid.uuid4().hex[:6]
    data = await api.ok(
        SIGN_UP,
        {
            "input": {
                "workspaceName": "Bench Board Imóveis",
                "name": "Bench Admin",
                "email": f"admin-{tag}@bench-board.example",
                "password": PASSWORD,
            }
        },
    )
    admin = Person(data["signUp"]["user"]["id"], data["signUp"]["token"], "ADMIN")
    people = []
    for index in range(agents):
        email = f"agent{index}-{tag}@bench-board.example"
        await api.ok(
            CREATE_USER,
            {"input": {"name": f"Agente {index}", "email": email, "password": PASSWORD, "role": "AGENT"}},
            token=admin.token,
        )
        logged = await api.ok(LOG_IN, {"input": {"email": email, "password": PASSWORD}})
        people.append(Person(logged["logIn"]["user"]["id"], logged["logIn"]["token"], "AGENT"))
    return Workspace(admin, people)


async def seed_board(
    api: Api,
    workspace: Workspace,
    *,
    stages: int,
    cards_per_stage: int,
    name: str = "Vendas",
    concurrency: int = 4,
    seed: int = 11,
) -> Board:
    """A pipeline of `stages` gate-free stages with `cards_per_stage` deals
    in each, owners spread over the admin and the agents, each with a
    contact when the API can create one."""
    rng = random.Random(seed)
    token = workspace.admin.token
    created = await api.ok(
        CREATE_PIPELINE,
        {"input": {"name": name, "stages": [{"name": n} for n in STAGE_NAMES[:stages]]}},
        token=token,
    )
    pipeline = created["createPipeline"]["pipeline"]
    stage_ids = [s["id"] for s in pipeline["stages"]]
    with_contacts = await has_field(api, "Mutation", "createContact")
    owners = workspace.owners
    deals: dict[str, tuple[str, str]] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, stage_id: str) -> None:
        owner = owners[index % len(owners)]
        values: dict[str, Any] = {
            "title": f"Apartamento {index + 1}",
            "pipelineId": pipeline["id"],
            "stageId": stage_id,
            "value": f"{rng.randrange(150_000, 3_000_000)}.00",
            "ownerId": owner.id,
        }
        async with gate:
            if with_contacts:
                contact = await api.ok(
                    CREATE_CONTACT,
                    {"input": {"name": f"Cliente {index + 1}", "ownerId": owner.id}},
                    token=token,
                )
                values["contactId"] = contact["createContact"]["contact"]["id"]
            data = await api.ok(CREATE_DEAL, {"input": values}, token=token)
        deals[data["createDeal"]["deal"]["id"]] = (owner.id, stage_id)

    await asyncio.gather(
        *(
            one(s * cards_per_stage + c, stage_id)
            for s, stage_id in enumerate(stage_ids)
            for c in range(cards_per_stage)
        )
    )
    sequence = (
        await api.ok(board_query(with_contact=False), {"id": pipeline["id"], "first": 1}, token=token)
    )["pipeline"]["boardSequence"]
    return Board(pipeline["id"], stage_ids, deals, with_contacts, sequence)
