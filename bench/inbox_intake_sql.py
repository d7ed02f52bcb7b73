"""The SQL statements of one `receiveMessage`, per backend: what an intake
costs in round trips, most of them inside its transaction (where, on
PostgreSQL, the workspace's counters stay locked until commit).

In-process through the ASGI app, seeded as bench/inbox_intake.py seeds
(inbox_common.seed_inbox), counting at the database driver (aiosqlite,
asyncpg), so statements inside transactions count too — the counter of
contacts_list.py sees only those outside one. Each backend in a process
of its own (harness.each_backend_in_a_child).

    python bench/inbox_intake_sql.py [--backend sqlite postgres] [--show-sql]
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
from distribution_common import Api
from harness import database, each_backend_in_a_child, server_env, today
from inbox_common import RECEIVE, seed_inbox, sender_input

DRIVER_METHODS = {
    "aiosqlite": ("execute", "execute_insert", "execute_fetchall", "executemany", "executescript"),
    "asyncpg": ("execute", "executemany", "fetch", "fetchrow", "fetchval"),
}
# (sender, returning): two new senders, then each of them again.
SEQUENCE = [(1, False), (2, False), (1, True), (2, True)]


@contextlib.contextmanager
def driver_statements() -> Iterator[list[str]]:
    """Every statement sent through either driver while the block runs."""
    import aiosqlite
    import asyncpg

    seen: list[str] = []
    classes = {"aiosqlite": aiosqlite.Connection, "asyncpg": asyncpg.Connection}
    originals = {
        (cls, name): getattr(cls, name) for key, cls in classes.items() for name in DRIVER_METHODS[key]
    }

    def wrap(original: Any) -> Any:
        async def counted(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
            seen.append(sql)
            return await original(self, sql, *args, **kwargs)

        return counted

    for (cls, name), original in originals.items():
        setattr(cls, name, wrap(original))
    try:
        yield seen
    finally:
        for (cls, name), original in originals.items():
            setattr(cls, name, original)


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    async with database(backend, name="revgraph_bench_intake_sql") as url:
        os.environ.update(server_env(url))
        # Fast password hashing for the seeded users, as the other benches.
        os.environ.update({"REVGRAPH_ARGON2_TIME_COST": "1", "REVGRAPH_ARGON2_MEMORY_KIB": "1024"})
        settings = Settings.from_env()
        await open_database(settings, migrate=True)
        try:
            api = Api("http://bench", transport=httpx.ASGITransport(app=create_app(settings, migrate=False)))
            try:
                inbox = await seed_inbox(api, 3)
                counts: dict[str, list[int]] = {"new": [], "returning": []}
                for index, (sender, returning) in enumerate(SEQUENCE):
                    variables = {
                        "input": {
                            "inboxId": inbox.id,
                            "from": sender_input(sender, returning),
                            "body": "Oi! Ainda está disponível?",
                            "externalId": f"wamid.sql.{index}",
                        }
                    }
                    with driver_statements() as sql:
                        await api.ok(RECEIVE, variables, token=inbox.workspace.admin.token)
                    counts["returning" if returning else "new"].append(len(sql))
                    if args.show_sql and index in (1, 3):
                        print(f"  [{backend}] {'returning' if returning else 'new'} sender:")
                        for line in sql:
                            print("    SQL:", " ".join(line.split())[:150])
            finally:
                await api.aclose()
        finally:
            await close_database()
    print(
        f"  [{backend}] statements per receiveMessage: new sender {counts['new']}, returning {counts['returning']}"
    )
    return counts


def main(args: argparse.Namespace) -> None:
    if not args.child_json:
        print(f"receiveMessage SQL statements — {today()}")
    forward = ["--show-sql"] if args.show_sql else []
    each_backend_in_a_child(
        args, run_backend, forward, results_name=f"inbox_intake_sql-{today()}", recorded={}
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="SQL statements of one receiveMessage")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of one new and one returning"
    )
    parser.add_argument("--child-json", help=argparse.SUPPRESS)
    main(parser.parse_args())
