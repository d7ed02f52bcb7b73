"""Writing phase 2's rows (bench/reports_rows.py) with the raw driver:
sqlite3 `executemany`, asyncpg `COPY`; then the counters the use cases
move, and the planner's statistics."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from reports_data import Skeleton
from reports_rows import Rows

TABLES = (
    "contact",
    "touchpoint",
    "assignment",
    "deal",
    "stage_transition",
    "deal_stage_entry",
    "task",
    "note",
    "event",
)


def _sqlite_path(url: str) -> str:
    return url[len("sqlite://") :]


def pg_connect(url: str):  # -> asyncpg connection (awaitable)
    import asyncpg

    parsed = urlparse(url)
    return asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.path.lstrip("/"),
    )


async def first_ids(url: str) -> dict[str, int]:
    """The highest id of each bulk table after phase 1."""
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as db:
            return {t: db.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0] for t in TABLES}
    conn = await pg_connect(url)
    try:
        return {t: await conn.fetchval(f'SELECT coalesce(max(id), 0) FROM "{t}"') for t in TABLES}
    finally:
        await conn.close()


def _sqlite_value(value: Any) -> Any:
    # Tortoise on SQLite: datetimes as str(), decimals as text, booleans 0/1.
    if isinstance(value, datetime):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _tuples(rows: list[dict[str, Any]], columns: list[str], convert: Any) -> list[tuple]:
    unknown = set(rows[0]) - set(columns) if rows else set()
    if unknown:
        raise RuntimeError(f"columns {unknown} are not in the table")
    return [tuple(convert(row.get(c)) for c in columns) for row in rows]


async def write(url: str, sk: Skeleton, rows: Rows) -> dict[str, int]:
    """Insert every table's rows in bulk, then move the counters the use
    cases move (contact and deal numbers, the log position, pipelines'
    board sequences, queues' assignment counts) and gather statistics."""
    counts = {t: len(rows.tables.get(t, [])) for t in TABLES}
    board: dict[int, int] = rows.board_sequences  # type: ignore[attr-defined]
    per_queue: dict[int, int] = {}
    for row in rows.tables["assignment"]:
        per_queue[row["queue_id"]] = per_queue.get(row["queue_id"], 0) + 1
    ws = sk.workspace_id
    counters = [("contact", counts["contact"]), ("deal", counts["deal"]), ("log", counts["event"])]
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as db:
            for table in TABLES:
                columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
                marks = ", ".join("?" * len(columns))
                names = ", ".join(f'"{c}"' for c in columns)
                db.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    _tuples(rows.tables.get(table, []), columns, _sqlite_value),
                )
            for name, added in counters:
                db.execute(
                    "UPDATE sequence_counter SET value = value + ? WHERE workspace_id = ? AND name = ?",
                    (added, ws, name),
                )
            for pipeline_id, sequence in board.items():
                db.execute(
                    "UPDATE pipeline SET board_sequence = board_sequence + ? WHERE id = ?",
                    (sequence, pipeline_id),
                )
            for queue_id, made in per_queue.items():
                db.execute(
                    "UPDATE queue SET assignments_made = assignments_made + ? WHERE id = ?", (made, queue_id)
                )
            db.commit()
            db.execute("ANALYZE")
        return counts
    conn = await pg_connect(url)
    try:
        async with conn.transaction():
            for table in TABLES:
                columns = [
                    r["column_name"]
                    for r in await conn.fetch(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                        table,
                    )
                ]
                await conn.copy_records_to_table(
                    table, records=_tuples(rows.tables.get(table, []), columns, lambda v: v), columns=columns
                )
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
                )
            for name, added in counters:
                await conn.execute(
                    "UPDATE sequence_counter SET value = value + $1 WHERE workspace_id = $2 AND name = $3",
                    added,
                    ws,
                    name,
                )
            for pipeline_id, sequence in board.items():
                await conn.execute(
                    "UPDATE pipeline SET board_sequence = board_sequence + $1 WHERE id = $2",
                    sequence,
                    pipeline_id,
                )
            for queue_id, made in per_queue.items():
                await conn.execute(
                    "UPDATE queue SET assignments_made = assignments_made + $1 WHERE id = $2", made, queue_id
                )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return counts
