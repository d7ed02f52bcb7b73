"""Opening the database and bringing its schema up to date."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate as run_migrations

from revgraph.models import MODEL_MODULES
from revgraph.resolvers.events.writes import writes_first
from revgraph.resolvers.settings import Settings, sqlite_path

log = logging.getLogger(__name__)


async def _keep_session(connection: object) -> None:
    """asyncpg pool `reset` hook: nothing to reset (see tortoise_config)."""


def tortoise_config(settings: Settings) -> dict:
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Tortoise already opens SQLite in WAL mode; busy_timeout makes a
        # second process (serve + migrate) wait instead of "database is
        # locked"; wal_autocheckpoint: see WalCheckpointer. A URL's own
        # value of either is kept.
        for pragma, value in (("busy_timeout", 10000), ("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)):
            if pragma not in url:
                url = f"{url}{'&' if '?' in url else '?'}{pragma}={value}"
    connection: str | dict = url
    if url.startswith(("postgres://", "postgresql://")):
        connection = expand_db_url(url)
        # REVGRAPH_DATABASE_POOL_SIZE, unless the URL names its own maxsize.
        connection["credentials"].setdefault("maxsize", settings.database_pool_size)
        # asyncpg resets every connection it takes back into the pool with
        # `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`:
        # one more round trip per statement run outside a transaction. We
        # never leave advisory locks, cursors, LISTENs or SETs on a session
        # (transactions end before release), so the reset has nothing to undo.
        connection["credentials"]["reset"] = _keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "revgraph.models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate_database(settings: Settings) -> int:
    """Apply every pending versioned migration (serve and migrate call this);
    how many were applied."""
    planned: list[int] = []

    def count(connection: str, plan: list, fake: bool, dry_run: bool) -> None:
        planned.append(len(plan))

    try:
        await run_migrations(config=tortoise_config(settings), reporter=count)
    finally:
        await Tortoise.close_connections()
    applied = sum(planned)
    if applied:
        log.info("database schema brought up to date: %d migration(s) applied", applied)
    else:
        log.info("database schema already up to date")
    return applied


# SQLite gathers no planner statistics by itself, and without them it picks
# the wrong index: the tag loader's `workspace_id = ? AND contact_id IN (...)`
# read every tag of the workspace through (workspace_id, name), 6× slower
# (bench/README.md, "Planner statistics"). SQLite's own advice for long-lived
# connections: `PRAGMA optimize=0x10002` on open (3.46+ then analyses every
# table that needs it), `PRAGMA optimize` periodically and before closing
# (it analyses the tables this connection queried whose statistics are
# missing or stale). analysis_limit keeps each ANALYZE to ~400 rows per index.
STATISTICS_ON_OPEN = "PRAGMA analysis_limit=400; PRAGMA optimize=0x10002"
STATISTICS_REFRESH = "PRAGMA optimize"
# Before 3.46 the 0x10000 bit is unknown and an optimize on open does
# nothing (no query ran yet): a database never analysed is analysed then.
OPTIMIZE_ANALYSES_ALL_TABLES = sqlite3.sqlite_version_info >= (3, 46)
STATISTICS_REFRESH_SECONDS = 3600.0


# SQLite's WAL checkpoints, off the writes' path. By default the connection
# that commits a write copies the WAL into the database file (and syncs it)
# whenever the WAL passes 1,000 pages, inside that commit: on a busy board
# every few dozen moves one paid for it, in its latency, and the more pages
# a move writes the more often (bench/REPORTS.md, 2026-12-08: checkpoints
# were ~0.2 ms of the funnel's rollups' cost a move, in process). Here the
# commits checkpoint only past WAL_AUTOCHECKPOINT_PAGES (a safety net, and
# what lets the WAL start over: by then little is left to copy), and the
# serving process's timers run a PASSIVE checkpoint every
# WAL_CHECKPOINT_SECONDS on a connection of its own, in a worker thread,
# beside the writes (a PASSIVE checkpoint never blocks a writer or a reader).
WAL_AUTOCHECKPOINT_PAGES = 10_000
WAL_CHECKPOINT_SECONDS = 1.0


class WalCheckpointer:
    """PASSIVE checkpoints of one SQLite file, one at a time, each in a
    worker thread on the checkpointer's own connection."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._running = False

    async def checkpoint(self) -> tuple[int, int, int] | None:
        """(busy, frames in the WAL, frames checkpointed), or None when the
        previous checkpoint still runs."""
        if self._running:
            return None
        self._running = True
        try:
            return await asyncio.to_thread(self._checkpoint)
        finally:
            self._running = False

    def _checkpoint(self) -> tuple[int, int, int]:
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        return tuple(self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())

    def close(self) -> None:
        if self._connection is not None and not self._running:
            self._connection.close()
            self._connection = None


_checkpointer: WalCheckpointer | None = None


async def checkpoint_wal() -> None:
    """The serving process's timer (SQLite files only): copy the WAL's
    committed pages into the database file, beside the writes."""
    try:
        if _checkpointer is not None:
            await _checkpointer.checkpoint()
    except Exception:
        log.exception("could not checkpoint SQLite's WAL")


def _is_sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


async def gather_planner_statistics() -> None:
    """On open, SQLite only: give the planner statistics (PostgreSQL's
    autovacuum analyses tables by itself)."""
    if not _is_sqlite():
        return
    connection = connections.get("default")
    await connection.execute_script(STATISTICS_ON_OPEN)
    if not OPTIMIZE_ANALYSES_ALL_TABLES:
        _, analysed = await connection.execute_query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        )
        if not analysed:
            await connection.execute_script("ANALYZE")


async def refresh_planner_statistics() -> None:
    """SQLite only: re-analyse the tables whose statistics went stale
    (hourly from the serving process's timers, and at close)."""
    try:
        if _is_sqlite():
            await connections.get("default").execute_script(STATISTICS_REFRESH)
    except Exception:
        log.exception("could not refresh SQLite's planner statistics")


async def open_database(settings: Settings, *, migrate: bool = True) -> None:
    """Initialise Tortoise for this process with the global fallback on, so
    every task on this loop (requests, websocket handlers, actors) sees it."""
    global _report_reads, _checkpointer
    config = tortoise_config(settings)
    if migrate:
        await migrate_database(settings)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    await gather_planner_statistics()
    _report_reads = _report_reads_client(settings, config)
    path = sqlite_path(settings.database_url)
    _checkpointer = WalCheckpointer(str(path)) if path is not None else None


async def close_database() -> None:
    global _report_reads, _checkpointer
    if Tortoise.is_inited():
        await refresh_planner_statistics()
    if _report_reads is not None:
        reads, _report_reads = _report_reads, None
        await reads.close()
    if _checkpointer is not None:
        _checkpointer.close()
        _checkpointer = None
    await Tortoise.close_connections()


# Report computations (the dashboards' first answers, schema/poll.py) read
# through a connection of their own, not the one requests and writes share:
# - SQLite: one connection serves a process's statements one at a time, in
#   order, so a moveDeal's statements queued behind a funnel's. A second
#   connection reads beside the writer (WAL: readers see every commit made
#   before their statement and never block the writer), in its own thread,
#   where SQLite's C code runs without holding Python's lock. (Not run
#   nicer than the process: the thread holds Python's lock while it turns
#   rows into objects, and the loop and the writer's thread waited for it
#   while the OS gave it less of the CPU; bench/REPORTS.md, branch
#   i11-writes.)
# - PostgreSQL: a small pool of its own (REPORT_POOL_PER_TURN per turn), so
#   the report turns can never take the pool's connections that writes and
#   lists wait for; its sessions plan no parallel workers, so that one
#   report statement takes one of the database's cores, not all of them.
# Every statement waits first, briefly, for the writes in flight in the
# process (resolvers/events/writes.py `writes_first`): a computation pauses
# between its statements while moves run, instead of only before it starts.
# Read-only use: the computations write nothing (a poll's credential, which
# may, is checked before). Off for an in-memory SQLite (a second connection
# would open another, empty database).
REPORT_CONNECTION = "report_reads"
REPORT_POOL_PER_TURN = 2
REPORT_SERVER_SETTINGS = {"max_parallel_workers_per_gather": "0"}
_report_reads: Any = None


class _WritesFirst:
    """A report client's connection, taken once the writes let it."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aenter__(self) -> Any:
        await writes_first()
        return await self._inner.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._inner.__aexit__(*exc)


def _report_client_class(client_class: type) -> type:
    """`client_class` whose statements wait for the writes first."""

    class ReportReads(client_class):  # type: ignore[misc, valid-type]
        def acquire_connection(self) -> Any:
            return _WritesFirst(super().acquire_connection())

    ReportReads.__name__ = ReportReads.__qualname__ = f"ReportReads{client_class.__name__}"
    return ReportReads


def _report_reads_client(settings: Settings, config: dict) -> Any:
    url = settings.database_url
    if url.startswith("sqlite://") and sqlite_path(url) is None:
        return None
    info = config["connections"]["default"]
    info = expand_db_url(info) if isinstance(info, str) else info
    client_class = importlib.import_module(info["engine"]).client_class
    credentials = {**info["credentials"], "connection_name": REPORT_CONNECTION}
    if client_class.capabilities.dialect == "postgres":
        turns = settings.report_computations or 4
        credentials.update(minsize=1, maxsize=REPORT_POOL_PER_TURN * turns)
        credentials["server_settings"] = {**credentials.get("server_settings", {}), **REPORT_SERVER_SETTINGS}
    return _report_client_class(client_class)(**credentials)


@contextlib.contextmanager
def report_reads() -> Iterator[None]:
    """Within: the ORM's and raw statements of this task (and of the tasks it
    starts) go through the report computations' connection."""
    if _report_reads is None:
        yield
        return
    token = connections.set("default", _report_reads)
    try:
        yield
    finally:
        connections.reset(token)


def __getattr__(name: str) -> dict:
    # `revgraph makemigrations` hands Tortoise's CLI this module path; the
    # config is computed on access so importing the module reads no env.
    if name == "CLI_CONFIG":
        return tortoise_config(Settings.from_env())
    raise AttributeError(name)
