"""Reading many rows for a report without the ORM's per-field conversion.

A year's funnel reads ~10^5 stage transitions. Through `QuerySet.values()`
Tortoise builds a dict and converts every field of every row; measured on
the reports benchmark (bench/REPORTS.md), that conversion cost three times
the query itself. Queries are still built with Tortoise (the same filters,
the same SQL); only the rows come back as the driver returns them, and the
one column that needs it, a timestamp, is read here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import ValuesListQuery


async def raw_rows(query: ValuesListQuery) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` query as tuples of driver values, in the
    order of its fields (timestamps still raw: see `moment`)."""
    query.sql()  # builds the query and picks its connection
    _, rows = await query._db.execute_query(*query.query.get_parameterized_sql())
    return [tuple(row) for row in rows]


def moment(value: datetime | str) -> datetime:
    """A timestamp column as read raw: aware from PostgreSQL, ISO text from
    SQLite (as Tortoise wrote it, with its offset; a naive one is UTC)."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
