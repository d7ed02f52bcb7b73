"""SQLite's WAL checkpoints run beside the writes, not in their commits
(resolvers/database.py `WalCheckpointer`). By default the commit that takes
the WAL past 1,000 pages copies it into the database file and syncs it,
inside that write's latency; the product's connections checkpoint only past
WAL_AUTOCHECKPOINT_PAGES, and the serving process's timers checkpoint every
WAL_CHECKPOINT_SECONDS on a connection of their own, in a worker thread.

What reached the database file is read through an `immutable` connection,
which ignores the WAL. Each case runs in a child process on a SQLite file of
its own; nothing here depends on the backend the suite runs on."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from revgraph.resolvers.database import WAL_AUTOCHECKPOINT_PAGES, WAL_CHECKPOINT_SECONDS
from revgraph.resolvers.settings import Settings
from revgraph.tasks.timers import schedule
from tests.infra.revgraph_process import child_env

# argv: database file. Writes 300 commits of ~20 KB (~1,500 pages: past
# SQLite's default threshold), then checkpoints; prints what it saw.
CHILD = """
import asyncio, json, sqlite3, sys
from revgraph.resolvers.database import checkpoint_wal, close_database, open_database
from revgraph.resolvers.settings import Settings
from tortoise import connections

def in_file(path):
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return db.execute("SELECT count(*) FROM scratch").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # the table itself is still only in the WAL
    finally:
        db.close()

async def main(path):
    settings = Settings.from_env({"REVGRAPH_DATABASE_URL": f"sqlite://{path}", "REVGRAPH_SECRET_KEY": "x" * 32})
    await open_database(settings, migrate=False)
    client = connections.get("default")
    _, [(threshold,)] = await client.execute_query("PRAGMA wal_autocheckpoint")
    await client.execute_script("CREATE TABLE scratch (body BLOB)")
    for _ in range(300):
        await client.execute_query("INSERT INTO scratch (body) VALUES (randomblob(20000))")
    before = in_file(path)
    await checkpoint_wal()
    after = in_file(path)
    await close_database()
    print(json.dumps({"threshold": threshold, "before": before, "after": after}))

asyncio.run(main(sys.argv[1]))
"""


def test_commits_leave_the_checkpoint_to_the_checkpointer(tmp_path, migrated_sqlite):
    # given the product's connection to a SQLite file
    path = migrated_sqlite(tmp_path / "wal.sqlite3")
    # when 300 writes commit ~1,500 pages (past SQLite's default 1,000)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        env=child_env(),
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # then no commit copied the WAL into the database file
    assert seen["threshold"] == WAL_AUTOCHECKPOINT_PAGES
    assert seen["before"] == 0
    # and the checkpointer did, every row
    assert seen["after"] == 300
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM scratch").fetchone() == (300,)


def _settings(url: str) -> Settings:
    return Settings.from_env({"REVGRAPH_DATABASE_URL": url, "REVGRAPH_SECRET_KEY": "x" * 32})


def test_the_serving_process_checkpoints_a_sqlite_file_on_a_timer(tmp_path: Path):
    # given the timers of a server on a SQLite file, and of one on PostgreSQL
    on_file = schedule(_settings(f"sqlite://{tmp_path / 'any.sqlite3'}"))
    on_postgres = schedule(_settings("postgres://postgres@127.0.0.1:5432/any"))
    # then the file's have one more: the WAL's checkpoint, every second
    assert len(on_file) == len(on_postgres) + 1
    assert on_file[-1].seconds == WAL_CHECKPOINT_SECONDS == 1.0
    assert [t.seconds for t in on_file[:-1]] == [t.seconds for t in on_postgres]
