"""Rows for hot reads: the one way lists, boards and the loaders behind
their edges read records they only show.

House rule (STYLE.md, "hot read paths share one way of reading rows"): a
read that only shows values — a list page, a board column, the owners,
companies, contacts and tags of a page — reads `Row`s here, not ORM model
instances. A `Row` has the record's columns as attributes (`owner_id`,
never the relation `owner`) and nothing else: no save, no relations, no
change tracking. A use case that changes a record loads its model.

Why: building a Tortoise instance costs ~10 µs a row and its datetime
parser (iso8601, in Python) ~4 µs a value; a page of 50 contacts with its
owners and companies is ~200 rows and ~600 values. Here the statement is
still built by the ORM (filters, visibility, keyset, annotations, the
statement counter of the tests), only its answer is read differently:
datetimes by the C `datetime.fromisoformat`, JSON by orjson, every
other column as the driver returns it. See schema/lean_execution.py for
the other half, the GraphQL side of hot reads."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise.fields import (
    BigIntField,
    CharField,
    DatetimeField,
    IntField,
    JSONField,
    SmallIntField,
    TextField,
)
from tortoise.queryset import QuerySet

# Columns that both drivers already return as the Python value.
_AS_RETURNED = (BigIntField, CharField, IntField, SmallIntField, TextField)


class Row:
    """A record read for display: its columns as attributes."""

    def __init__(self, columns: dict[str, Any]) -> None:
        self.__dict__ = columns

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r})"


def _datetime(value: Any) -> datetime | None:
    """What Tortoise's DatetimeField gives with use_tz and UTC (open_database)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _json(value: Any) -> Any:
    if not isinstance(value, str | bytes):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # NaN or Infinity, which json.dumps writes
        return json.loads(value)


@functools.cache
def _columns(model: type) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """The model's columns and how each is read (None: as the driver returns it)."""
    found = []
    for name in model._meta.fields_db_projection:  # type: ignore[attr-defined]
        field = model._meta.fields_map[name]  # type: ignore[attr-defined]
        if isinstance(field, DatetimeField):
            found.append((name, _datetime))
        elif isinstance(field, JSONField):
            found.append((name, _json))
        elif type(field) in _AS_RETURNED:
            found.append((name, None))
        else:
            found.append((name, field.to_python_value))
    return tuple(found)


async def read_rows(
    query: QuerySet, *, extra: Sequence[str] = (), outer: Callable[[str], str] | None = None
) -> list[Row]:
    """The rows `query` selects (its filters, order, limit and annotations
    kept), every column of its model plus the annotations named in `extra`.
    `outer` wraps the statement in one of its own (it gets the statement's
    text; the parameters stay those of `query`): what the ORM cannot say,
    such as a filter on a window function (resolvers/deal_queries.py,
    `board_columns`)."""
    columns = _columns(query.model)
    values = query.values(*(name for name, _ in columns), *extra)
    # What ValuesQuery.__await__ does, without its per-value converters.
    if values._db is None:
        values._db = values._choose_db()
    values._make_query()
    sql, parameters = values.query.get_parameterized_sql()
    if outer is not None:
        sql = outer(sql)
    found = await values._db.execute_query_dict(sql, parameters)
    convert = [(name, read) for name, read in columns if read is not None]
    rows = []
    for record in found:
        for name, read in convert:
            record[name] = read(record[name])
        rows.append(Row(record))
    return rows
