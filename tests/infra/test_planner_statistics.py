"""SQLite gathers no planner statistics by itself; without them the tag
loader's `workspace_id = ? AND contact_id IN (...)` read a whole workspace's
tags (bench/README.md, "Planner statistics"). The product runs SQLite's
optimize where it opens and maintains its database (resolvers/database.py):
a database never analysed gets statistics on open, and tables that grew
after their last analysis are re-analysed when the connection closes.
Each case runs in a child process on a SQLite file of its own, so the
test's own database stays untouched; nothing here depends on the backend
the suite runs on."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.infra.revgraph_process import child_env

# argv: database file, "open" | "open-query-close"
CHILD = """
import asyncio, sys
from revgraph.resolvers.database import close_database, open_database
from revgraph.resolvers.settings import Settings
from tortoise import connections

async def main(path, step):
    settings = Settings.from_env({"REVGRAPH_DATABASE_URL": f"sqlite://{path}", "REVGRAPH_SECRET_KEY": "x" * 32})
    await open_database(settings, migrate=False)
    if step == "open":
        await connections.get("default").close()  # closed as a crash would: no close_database
        return
    # the tag loader's statement, as a list request runs it
    ids = ",".join(str(i) for i in range(1, 51))
    await connections.get("default").execute_query(
        f"SELECT contact_id, name FROM contact_tag WHERE workspace_id = 1 AND contact_id IN ({ids})"
    )
    await close_database()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def run(path: Path, step: str) -> None:
    subprocess.run(
        [sys.executable, "-c", CHILD, str(path), step],
        env=child_env(),
        check=True,
        timeout=120,
        capture_output=True,
    )


def with_tags(path: Path) -> None:
    """Gives a migrated database 3,000 tags and no statistics at all
    (plain sqlite3 connections do not enforce foreign keys)."""
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE IF EXISTS sqlite_stat1")
        db.executemany(
            "INSERT INTO contact_tag (workspace_id, contact_id, name) VALUES (1, ?, ?)",
            [(i, f"tag{i % 40}") for i in range(3000)],
        )


def statistics_of(path: Path, table: str) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall()
        if not exists:
            return []
        return db.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ?", (table,)).fetchall()


def test_a_database_never_analysed_gets_planner_statistics_when_opened(tmp_path, migrated_sqlite):
    # given a database with rows and no statistics
    path = migrated_sqlite(tmp_path / "never.sqlite3")
    with_tags(path)
    assert statistics_of(path, "contact_tag") == []
    # when the product opens it (and stops without closing it properly)
    run(path, "open")
    # then the planner has statistics for the tags table (rows estimated
    # from ~400 per index: analysis_limit)
    stats = statistics_of(path, "contact_tag")
    assert stats and all(int(stat.split()[0]) > 1000 for _, stat in stats), stats


def test_tables_that_grew_since_their_last_analysis_are_analysed_again_at_close(tmp_path, migrated_sqlite):
    # given a database analysed while the tags table was empty
    path = migrated_sqlite(tmp_path / "grew.sqlite3")
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE IF EXISTS sqlite_stat1")
    run(path, "open")
    assert statistics_of(path, "contact_tag") == []
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO contact_tag (workspace_id, contact_id, name) VALUES (1, ?, ?)",
            [(i, f"tag{i % 40}") for i in range(3000)],
        )
    # when the product opens it, lists tags and closes
    run(path, "open-query-close")
    # then the tags table has statistics that see its rows
    stats = statistics_of(path, "contact_tag")
    assert stats and all(int(stat.split()[0]) > 1000 for _, stat in stats), stats
