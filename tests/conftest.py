"""Test harness: one server per run, on the embedded backends (SQLite file +
memory pub/sub + in-process tasks) by default, or on PostgreSQL + Redis when
REVGRAPH_TEST_DATABASE_URL and REVGRAPH_TEST_REDIS_URL are set. A real-services
run creates its own database and Redis key prefix and drops them at the end.
With CI=true the real services are mandatory: unreachable means failure.

The server is a real uvicorn on a free port on the test loop, so tests
speak HTTP and graphql-transport-ws exactly like clients do. Tables are
emptied between tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest

from tests.support import GraphQLClient, Workspace, sign_up, tls_context

# Stable across re-imports of this module within one run.
RUN_ID = os.environ.setdefault("REVGRAPH_TEST_RUN_ID", uuid.uuid4().hex[:10])
_TMP = Path(tempfile.mkdtemp(prefix="revgraph-test-"))
REAL_DB = os.environ.get("REVGRAPH_TEST_DATABASE_URL")
REAL_REDIS = os.environ.get("REVGRAPH_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _with_db(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path="/" + name))


TEST_DB_NAME = f"revgraph_test_{RUN_ID}"

# The environment is fixed before anything imports revgraph: the task
# broker is chosen at import from REVGRAPH_REDIS_URL.
os.environ.update(
    {
        "REVGRAPH_ENV": "development",
        "REVGRAPH_SECRET_KEY": "test-secret-" + RUN_ID,
        "REVGRAPH_ARGON2_TIME_COST": "1",
        "REVGRAPH_ARGON2_MEMORY_KIB": "1024",
        "REVGRAPH_REDIS_PREFIX": f"rgtest-{RUN_ID}",
        # The test server stands behind a proxy on loopback (tests of per-IP
        # limits send X-Forwarded-For); tests/security/test_client_ip.py
        # shows the default, no proxy trusted.
        "REVGRAPH_FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
)
# No test reaches Meta: WhatsApp sends go nowhere unless a test's stand-in
# of the Cloud API takes the address (tests/whatsapp/conftest.py).
os.environ.setdefault("REVGRAPH_WHATSAPP_API_URL", "http://127.0.0.1:9/v26.0")
if REAL_DB:
    os.environ["REVGRAPH_DATABASE_URL"] = _with_db(REAL_DB, TEST_DB_NAME)
else:
    # synchronous=NORMAL (a pragma through the URL, like busy_timeout): in WAL
    # mode a commit then waits for no fsync. What it gives up, the last
    # commits on a power cut, no test can observe: a killed process loses
    # nothing either way.
    os.environ["REVGRAPH_DATABASE_URL"] = f"sqlite://{_TMP / 'test.sqlite3'}?synchronous=NORMAL"
if REAL_REDIS:
    os.environ["REVGRAPH_REDIS_URL"] = REAL_REDIS
else:
    os.environ.pop("REVGRAPH_REDIS_URL", None)

BACKEND = "postgres+redis" if REAL_DB else "sqlite+memory"


def pytest_report_header(config: Any) -> str:
    return f"revgraph backend: {BACKEND} (run {RUN_ID})"


def _check_services() -> None:
    if IN_CI and not (REAL_DB and REAL_REDIS):
        # .ci/run sets both for the real-services run; the embedded run is
        # the default one and needs neither.
        if os.environ.get("REVGRAPH_TEST_REQUIRE_REAL") == "1":
            pytest.exit("CI expected PostgreSQL + Redis but REVGRAPH_TEST_* are not set", returncode=1)
    if REAL_DB:
        parsed = urlparse(REAL_DB)
        try:
            socket.create_connection((parsed.hostname, parsed.port or 5432), timeout=3).close()
        except OSError as exc:
            pytest.exit(f"PostgreSQL at {REAL_DB} unreachable: {exc}", returncode=1)
    if REAL_REDIS:
        parsed = urlparse(REAL_REDIS)
        try:
            socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=3).close()
        except OSError as exc:
            pytest.exit(f"Redis at {REAL_REDIS} unreachable: {exc}", returncode=1)


async def _admin_execute(sql: str) -> None:
    import asyncpg

    parsed = urlparse(REAL_DB)
    conn = await asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
async def database(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    _check_services()
    if REAL_DB:
        await _admin_execute(f'CREATE DATABASE "{TEST_DB_NAME}"')
        # Commits wait for no WAL flush (the test database's own setting, so
        # the server's and the worker's connections all have it). It gives
        # up only the last commits if PostgreSQL itself crashes, which no
        # test does; killing our processes loses nothing either way.
        await _admin_execute(f'ALTER DATABASE "{TEST_DB_NAME}" SET synchronous_commit = off')
    else:
        # The server's SQLite file starts as a copy of the run's migrated
        # template (built by `revgraph migrate` once per run, for the tests
        # that start processes on databases of their own): building the
        # schema from zero costs seconds of CPU, and the server would
        # otherwise build it a second time. Its start still runs the
        # migrations (none pending); building from zero is what
        # tests/test_migrations.py and tests/test_cli.py test.
        copy_sqlite(request.getfixturevalue("_migrated_sqlite_template"), _TMP / "test.sqlite3")
    try:
        yield os.environ["REVGRAPH_DATABASE_URL"]
    finally:
        if REAL_DB:
            from tortoise import Tortoise

            await Tortoise.close_connections()
            await _admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}" WITH (FORCE)')
        if REAL_REDIS:
            import redis.asyncio as aioredis

            global _IDLE_CLIENT
            if _IDLE_CLIENT is not None:
                await _IDLE_CLIENT.aclose()
                _IDLE_CLIENT = None
            client = aioredis.from_url(REAL_REDIS)
            keys = [k async for k in client.scan_iter(match=f"rgtest-{RUN_ID}*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()


class Server:
    """The running test server."""

    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.graphql_url = f"{self.url}/graphql"
        self.ws_url = f"ws://127.0.0.1:{port}/graphql"
        # With Redis: the session's `revgraph worker` (a process group of its own).
        self.worker: Any = None

    @property
    def settings(self) -> Any:
        return self.app.state.settings


@pytest.fixture(scope="session")
async def server(database: str) -> AsyncIterator[Server]:
    import uvicorn

    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app
    from revgraph.web.cli import SERVER_OPTIONS

    app = create_app(Settings.from_env())
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", loop="none", **SERVER_OPTIONS
    )
    uv = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
            raise RuntimeError("test server exited during start-up")
        await asyncio.sleep(0.02)
    worker = start_worker() if REAL_REDIS else None
    try:
        running = Server(app, port)
        running.worker = worker
        yield running
    finally:
        uv.should_exit = True
        # Generous: on a loaded 2-core machine closing hundreds of sockets can take a while.
        await asyncio.wait_for(task, timeout=60)
        if worker is not None:
            stop_worker(worker)


def start_worker(**env: str) -> Any:
    """With Redis, actors run where production runs them: a `revgraph worker`
    process on the same database and key prefix. It leads a process group of
    its own, so its Dramatiq worker processes can be signalled together."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "revgraph.web.cli", "worker", "--processes", "1", "--threads", "4"]
    return subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_worker(process: Any, *, kill: bool = False) -> None:
    """Stop a worker: SIGTERM to its main process, which passes it on to its
    worker processes and waits for what they run; or, with `kill`, SIGKILL to
    the whole process group at once (a crash)."""
    import signal
    import subprocess

    with contextlib.suppress(ProcessLookupError):
        if kill:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def session_worker_paused(server: Server) -> Any:
    """SIGSTOP the session's worker (all its processes) for a test that
    must know which worker runs its messages; SIGCONT afterwards."""
    import signal

    os.killpg(server.worker.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(server.worker.pid, signal.SIGCONT)


_IDLE_CLIENT: Any = None


def _idle_client() -> Any:
    """The Redis client `worker_idle` asks through: one for the run (it is
    called after every test; a client of its own each time cost a connection
    and ~15 ms of CPU on this process, which also serves the tests)."""
    global _IDLE_CLIENT
    import redis.asyncio as aioredis

    if _IDLE_CLIENT is None:
        _IDLE_CLIENT = aioredis.from_url(REAL_REDIS)
    return _IDLE_CLIENT


async def worker_idle(timeout: float = 30.0) -> None:
    """Wait until the Redis task queues hold no pending or running message
    (Dramatiq keeps a message in `<ns>:<queue>.msgs` until it is acked).
    Delayed messages (`.DQ`) are not waited for: they are meant to wait.
    Every queue is read in one MULTI/EXEC, so the counts are of one moment."""
    from revgraph.tasks.broker import broker

    client = _idle_client()
    namespace = os.environ["REVGRAPH_REDIS_PREFIX"] + "-tasks"
    keys = [f"{namespace}:{queue}.msgs" for queue in sorted(broker.get_declared_queues())]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with client.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.hlen(key)
            pending = sum(await pipe.execute())
        if pending == 0:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{pending} task message(s) still pending")
        await asyncio.sleep(0.02)


async def _empty_tables() -> None:
    from tortoise import Tortoise, connections

    _KEPT.clear()

    conn = connections.get("default")
    tables = [model._meta.db_table for model in Tortoise.apps["models"].values()]
    if REAL_DB:
        # DELETE with foreign-key triggers off is several times faster than
        # TRUNCATE for tables this small (TRUNCATE takes exclusive locks and
        # rewrites files). The test role is a superuser, as on the CI machine.
        deletes = "".join(f'DELETE FROM "{t}";' for t in tables)
        script = f"BEGIN; SET LOCAL session_replication_role = replica; {deletes} COMMIT;"
        # The server's own loops (the event sweeper, the timers) may still be
        # in a transaction that touches rows in another order than this
        # table-by-table DELETE: PostgreSQL then cancels one side with a
        # deadlock (seen in CI). Emptying is idempotent, so it is tried again;
        # the pool rolls back the cancelled try's connection on release.
        for attempt in range(5):
            try:
                await conn.execute_script(script)
                return
            except Exception as error:
                if "deadlock detected" not in str(error) or attempt == 4:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
    else:
        # One transaction: outside one every DELETE is a commit of its own,
        # each waiting for the disk (fsync of the WAL): ~100 ms per test on a
        # busy machine, against a few ms. (PRAGMA foreign_keys is a no-op
        # inside a transaction, so it stays outside.)
        deletes = "".join(f'DELETE FROM "{t}";' for t in tables)
        await conn.execute_script(
            f"PRAGMA foreign_keys=OFF; BEGIN; {deletes} DELETE FROM sqlite_sequence; COMMIT;"
            " PRAGMA foreign_keys=ON;"
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "shares_data(name): tests that only read what the first of them loads (the last of them "
        "may change it: the tables are emptied after it); the tables are kept between such tests "
        "with the same name that run one after the other",
    )
    config.addinivalue_line(
        "markers",
        "embedded_run_only: tests that use neither the run's database nor its Redis (the processes "
        "they start get settings of their own): the real-services run would repeat the embedded "
        "run's test exactly, so it skips them",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_repeats(items)


REPEATED = (
    "run by the embedded run: this test uses neither the run's database nor its Redis, so it is "
    "the same test in both runs"
)


def skip_repeats(items: list[Any]) -> None:
    """In a real-services run, skip the tests marked `embedded_run_only`
    (.ci/run runs both runs, side by side on the same cores)."""
    if not (REAL_DB or REAL_REDIS):
        return
    for item in items:
        if item.get_closest_marker("embedded_run_only") is not None:
            item.add_marker(pytest.mark.skip(reason=REPEATED))


# What the tests of one `shares_data` group built through the API (users,
# tokens, ids), kept with the tables: forgotten whenever they are emptied.
_KEPT: dict[str, Any] = {}


@pytest.fixture
def kept_data() -> dict[str, Any]:
    """For a fixture of `shares_data` tests: a dict that lives exactly as
    long as the tables are kept. The first test of the group finds it empty
    and builds (a workspace, its people, its records); the ones that follow
    find what it built, in the database and here."""
    return _KEPT


def _next_test_shares_the_data(item: pytest.Item) -> bool:
    """Whether the test run right after `item` reads the same loaded data
    (both marked `shares_data` with the same name): then the tables stay."""
    marker = item.get_closest_marker("shares_data")
    if marker is None:
        return False
    items = item.session.items
    position = items.index(item)
    if position + 1 >= len(items):
        return False
    following = items[position + 1].get_closest_marker("shares_data")
    return following is not None and following.args == marker.args


@pytest.fixture(autouse=True)
async def _clean(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    if "server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("server")  # (ensures start)
    yield
    from revgraph.tasks.broker import EmbeddedBroker, broker

    if isinstance(broker, EmbeddedBroker):
        # Like worker_idle: what runs is waited for, a retry or a delayed
        # message waiting for its time is not (it is dropped).
        await broker.join_running(timeout=30)
    else:
        await worker_idle()
    if not _next_test_shares_the_data(request.node):
        await _empty_tables()
    # Failed log-in and sign-up counts live outside the database (Redis or memory).
    from revgraph.web.graphql_view import RevGraphView

    view = next(r.app for r in server.app.routes if isinstance(getattr(r, "app", None), RevGraphView))
    await reset_throttle(view.throttle)
    # Ids start again after the tables were emptied (SQLite): answers kept
    # for the last test's workspace 1 must not answer this one's.
    view.poll_cache.clear()


async def reset_throttle(throttle: Any) -> None:
    """`throttle.reset()` (every failed log-in and sign-up count forgotten)
    with one SCAN round trip per 1,000 keys of the Redis database instead of
    Redis' default 10: the database holds the run's rate-limit windows too,
    thousands of keys by the end of a run, and this runs after every test."""
    throttle._memory.clear()
    if throttle._redis is not None:
        keys = [key async for key in throttle._redis.scan_iter(match=f"{throttle.prefix}:*", count=1000)]
        if keys:
            await throttle._redis.delete(*keys)


@pytest.fixture
async def gql(server: Server) -> AsyncIterator[GraphQLClient]:
    import httpx

    async with httpx.AsyncClient(timeout=30, verify=tls_context()) as http:
        yield GraphQLClient(server, http)


@pytest.fixture
async def workspace(gql: GraphQLClient) -> Workspace:
    return await sign_up(gql)


@pytest.fixture
async def other_workspace(gql: GraphQLClient) -> Workspace:
    return await sign_up(gql, "Outra Imobiliária")


BACKGROUND_TASKS = {"event-sweeper", "timers"}


def _background_task() -> bool:
    """SQL of the server's own timers and in-process actors is not the
    request's: counting it would make statement counts flaky."""
    task = asyncio.current_task()
    name = task.get_name() if task else ""
    return name in BACKGROUND_TASKS or name.startswith("actor:")


class SqlCounter:
    """Counts SQL statements sent through Tortoise's default connection and
    the report computations' (resolvers/database.py `report_reads`)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.active = False


@pytest.fixture
def count_sql(server: Server) -> Any:
    """Usage: `with count_sql() as counter: ...; counter.statements`."""
    import contextlib

    from tortoise import connections

    from revgraph.resolvers import database

    @contextlib.contextmanager
    def counting() -> Any:
        conns = [c for c in (connections.get("default"), database._report_reads) if c is not None]
        counter = SqlCounter()
        originals = []
        for conn in conns:
            for name in (
                "execute_query",
                "execute_query_dict",
                "execute_insert",
                "execute_many",
                "execute_script",
            ):
                original = getattr(conn, name)
                originals.append((conn, name, original))

                def wrap(original: Any = original) -> Any:
                    async def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
                        if not _background_task():
                            counter.statements.append(sql)
                        return await original(sql, *args, **kwargs)

                    return counted

                setattr(conn, name, wrap())
        try:
            yield counter
        finally:
            for conn, name, original in originals:
                setattr(conn, name, original)

    return counting


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated from zero by `revgraph migrate`, once per run."""
    from tests.infra.revgraph_process import child_env, run_revgraph

    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    result = run_revgraph("migrate", env=child_env(REVGRAPH_DATABASE_URL=f"sqlite://{path}"), timeout=300)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def migrated_sqlite(_migrated_sqlite_template: Path) -> Any:
    """`migrated_sqlite(path)` puts a fully migrated SQLite database at
    `path` (a copy of the run's template), for tests of something other than
    migrating that start a process on a database of its own: building the
    schema from zero costs seconds of CPU each time, and
    tests/test_migrations.py and tests/test_cli.py test that part."""

    def copy(path: Path) -> Path:
        return copy_sqlite(_migrated_sqlite_template, path)

    return copy


def copy_sqlite(source: Path, path: Path) -> Path:
    """A consistent copy of the SQLite database at `source` (its backup API)."""
    import sqlite3

    with sqlite3.connect(source) as origin, sqlite3.connect(path) as target:
        origin.backup(target)
    return path
