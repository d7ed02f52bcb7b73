"""Reading many rows for a report without the ORM's per-field conversion.

A year's funnel reads ~10^5 stage transitions. Through `QuerySet.values()`
Tortoise builds a dict and converts every field of every row; measured on
the reports benchmark (bench/REPORTS.md), that conversion cost three times
the query itself. Queries are still built with Tortoise (the same filters,
the same SQL); only the rows come back as the driver returns them, and the
one column that needs it, a timestamp, is read here. Several such queries
can be sent as one statement (`union_rows`): a report's parts of one shape
in one round trip; statements of different shapes that need nothing of each
other are sent at once (`together`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import ValuesListQuery

from revgraph.resolvers.events.writes import held_time, holding


@dataclass(frozen=True)
class Built:
    """A SELECT ready to run: its connection, SQL, parameters, and how many
    columns it selects, named "0", "1"... (as `values_list` names them)."""

    client: Any
    sql: str
    params: list[Any]
    columns: int


def built(query: ValuesListQuery) -> Built:
    """A `values_list` query's SQL, built once (`query.sql()` then
    `get_parameterized_sql()` built it twice: the building, in pypika, is
    most of a small report query's CPU)."""
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    return Built(query._db, sql, list(params), len(query.fields))


def where_of(query: ValuesListQuery) -> Built:
    """The condition of a `values_list` query as Tortoise writes it (the
    SQL after WHERE, its parameters, values converted for the backend):
    built once, for statements of many parts that add only a few integer
    terms of their own (`placeholders` numbers those)."""
    part = built(query)
    at = part.sql.index(" WHERE ")
    return Built(part.client, part.sql[at + len(" WHERE ") :], part.params, 0)


def sql_marks(count: int, dialect: str, first: int = 1) -> list[str]:
    """`count` numbered bound-parameter placeholders for the dialect, from
    `first` (a numbered one can be used more than once)."""
    sign = "$" if dialect == "postgres" else "?"
    return [f"{sign}{n}" for n in range(first, first + count)]


def placeholders(client: Any, first: int, count: int) -> list[str]:
    """`count` parameter placeholders of `client`'s dialect for a part that
    adds them after `first - 1` of its own: numbered on PostgreSQL
    (`sql_marks`, renumbered by `union_rows`), plain `?` on SQLite, whose
    positional marks stay right when `union_rows` joins parts."""
    dialect = client.capabilities.dialect
    if dialect == "sqlite":
        return ["?"] * count
    return sql_marks(count, dialect, first)


def owner_led(part: Built, table: str, index: str) -> Built:
    """A read of a few named owners' rows through their owner-led partial
    index (`WHERE owner_id > 0 AND id > 0`, migration 0038): the index's
    own terms stated, so that the planners may use it (no other statement
    states them: see the migration), and on SQLite the index named."""
    sql = part.sql.replace(" WHERE ", ' WHERE "owner_id" > 0 AND "id" > 0 AND ', 1)
    if part.client.capabilities.dialect == "sqlite":
        sql = sql.replace(f'FROM "{table}"', f'FROM "{table}" INDEXED BY "{index}"', 1)
    return Built(part.client, sql, part.params, part.columns)


async def raw_rows(query: ValuesListQuery) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` query as tuples of driver values, in the
    order of its fields (timestamps still raw: see `moment`)."""
    part = built(query)
    _, rows = await part.client.execute_query(part.sql, part.params)
    return [tuple(row) for row in rows]


def moment(value: datetime | str) -> datetime:
    """A timestamp column as read raw: aware from PostgreSQL, ISO text from
    SQLite (as Tortoise wrote it, with its offset; a naive one is UTC)."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def union_rows(queries: Sequence[ValuesListQuery | Built]) -> list[tuple[Any, ...]]:
    """The rows of several queries of the same columns in one statement
    (UNION ALL: one round trip; each query keeps its own plan), each row led
    by its query's index in `queries`, then its values as in `raw_rows`."""
    parts, params, client = [], [], None
    for index, query in enumerate(queries):
        part = query if isinstance(query, Built) else built(query)
        client, sql = part.client, part.sql
        if client.capabilities.dialect == "postgres":
            # Each query numbers its parameters from $1: shifted past the
            # parameters of the queries before it.
            sql = re.sub(r"\$(\d+)", lambda m, n=len(params): f"${int(m.group(1)) + n}", sql)
        columns = ", ".join(f'r."{position}"' for position in range(part.columns))
        parts.append(f"SELECT {index} AS part, {columns} FROM ({sql}) r")
        params.extend(part.params)
    if not parts:
        return []
    _, rows = await client.execute_query(" UNION ALL ".join(parts), params)
    return [tuple(row) for row in rows]


async def together(*steps: Awaitable[Any]) -> list[Any]:
    """The steps' results, in their order, the steps run at once. Each
    statement of a step takes a connection of its own (PostgreSQL's report
    reads have a pool: resolvers/database.py), so the database works on
    them side by side while this process builds and reads the others; on
    SQLite they take the one connection in turn, as in sequence. Each
    statement still reads every commit made before it began (none shares a
    snapshot with another, in sequence either). One step failing cancels
    the others."""
    outer = held_time()
    tasks = [asyncio.ensure_future(_held_apart(step)) for step in steps]
    try:
        found = await asyncio.gather(*tasks)
    except BaseException:
        # The first failure as it is (a domain error stays one), once the
        # others are stopped: none keeps a connection past the report.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    if outer is not None:
        # The steps waited for the same writes side by side: the computation
        # was held as long as the longest of them, not their sum (the poll's
        # pacing subtracts it from the time it computed).
        outer.seconds += max((held for _, held in found), default=0.0)
    return [result for result, _ in found]


async def _held_apart(step: Awaitable[Any]) -> tuple[Any, float]:
    """The step's result, and the seconds its statements waited for writes."""
    with holding() as held:
        return await step, held.seconds
