"""Tortoise 1.x keeps the ORM in a per-task context; under uvicorn the
lifespan and the requests run in different tasks (STACK.md). open_database
turns the global fallback on so every task of the process sees the ORM.
Each case runs in a child interpreter: Tortoise's state is process-wide."""

from __future__ import annotations

import subprocess
import sys

from tests.infra.revgraph_process import child_env

# Boot in one task, query in another, as uvicorn's lifespan and a request do.
LIFESPAN_THEN_REQUEST = """
import asyncio, sys
from tortoise import Tortoise
from revgraph.models.identity import Workspace
from revgraph.resolvers.database import close_database, open_database, tortoise_config
from revgraph.resolvers.settings import Settings

async def request():
    return await Workspace.all().count()

async def main(mode, url):
    settings = Settings(database_url=url, secret_key="unused")

    async def lifespan():
        if mode == "plain":
            await Tortoise.init(config=tortoise_config(settings))
        else:
            await open_database(settings, migrate=True)

    await asyncio.create_task(lifespan())
    try:
        print("rows", await asyncio.create_task(request()))
    except Exception as exc:
        print("error", exc)
    finally:
        await close_database()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def run(mode: str, url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", LIFESPAN_THEN_REQUEST, mode, url],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_request_task_sees_the_orm_opened_by_the_lifespan_task(tmp_path, migrated_sqlite):
    path = migrated_sqlite(tmp_path / "db.sqlite3")
    assert run("open_database", f"sqlite://{path}") == "rows 0"


def test_a_plain_tortoise_init_is_invisible_to_other_tasks(tmp_path):
    # why open_database exists: if this starts passing, revisit STACK.md
    line = run("plain", f"sqlite://{tmp_path / 'db.sqlite3'}")
    assert line.startswith("error No TortoiseContext is currently active"), line
