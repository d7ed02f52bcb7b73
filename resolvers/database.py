"""Opening the database and bringing its schema up to date."""

from __future__ import annotations

import logging

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate as run_migrations

from revgraph.models import MODEL_MODULES
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
        # second process (serve + migrate) wait instead of "database is locked".
        if "busy_timeout" not in url:
            url = f"{url}{'&' if '?' in url else '?'}busy_timeout=10000"
    connection: str | dict = url
    if url.startswith(("postgres://", "postgresql://")):
        connection = expand_db_url(url)
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


async def open_database(settings: Settings, *, migrate: bool = True) -> None:
    """Initialise Tortoise for this process with the global fallback on, so
    every task on this loop (requests, websocket handlers, actors) sees it."""
    config = tortoise_config(settings)
    if migrate:
        await migrate_database(settings)
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


def __getattr__(name: str) -> dict:
    # `revgraph makemigrations` hands Tortoise's CLI this module path; the
    # config is computed on access so importing the module reads no env.
    if name == "CLI_CONFIG":
        return tortoise_config(Settings.from_env())
    raise AttributeError(name)
