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
other column as the driver returns it.

A column that needs converting (datetime, JSON, decimal) is converted when
it is first read, not when the row is read: a board reads 400 deals and
400 contacts of ~20 columns each and shows 4 of them, so converting every
datetime and decoding every `custom_fields` was most of what reading them
cost. Such a column is selected under another name (`RAW` + its name, an
alias in the statement: nothing per row in Python), and the row's class
converts it on first access and keeps the value as the attribute, so every
later read is a plain attribute read — the same value the eager conversion
gave (tests/graph/test_row_columns.py). See schema/lean_execution.py for the
other half, the GraphQL side of hot reads."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from pypika_tortoise.context import SqlContext
from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Criterion, Term, ValueWrapper
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


# The prefix of a column's name in the statement while its value is still
# the driver's (see the module's note); no model field starts so.
RAW = "rg_raw:"


class Row:
    """A record read for display: its columns as attributes. Columns that
    need converting are converted on first read (`lazy`, per model)."""

    # Column name -> (its raw key, how its raw value is read).
    lazy: dict[str, tuple[str, Callable[[Any], Any]]] = {}
    # What the statement selects: the columns read as returned, and the
    # converted ones by their raw names.
    plain: tuple[str, ...] = ()
    aliased: dict[str, str] = {}

    def __init__(self, columns: dict[str, Any]) -> None:
        self.__dict__ = columns

    def __getattr__(self, name: str) -> Any:
        # Only called when `name` is not (yet) an attribute.
        found = self.lazy.get(name)
        columns = self.__dict__
        if found is None or found[0] not in columns:
            raise AttributeError(name)
        raw, read = found
        value = columns[name] = read(columns[raw])
        del columns[raw]
        return value

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
def row_class(model: type) -> type[Row]:
    """The Row class of `model`'s rows: which columns convert on first read."""
    columns = _columns(model)
    lazy = {name: (RAW + name, read) for name, read in columns if read is not None}
    plain = tuple(name for name, read in columns if read is None)
    aliased = {raw: name for name, (raw, _) in lazy.items()}
    namespace = {"lazy": lazy, "plain": plain, "aliased": aliased, "__slots__": ()}
    return type(f"{model.__name__}Row", (Row,), namespace)


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


class _Among(Criterion):
    """`column` among `values` as ONE parameter, however many values: on
    PostgreSQL `= ANY($n)` (an array), on SQLite `IN (SELECT value FROM
    json_each(?))` (a JSON array). A loader's batch of 400 ids as an IN list
    is 400 parameters the ORM wraps, renders and numbers one by one (most of
    building the statement), and a new statement text for every batch size.
    Without parameters (rendering for display), a plain IN list."""

    def __init__(self, column: Term, values: Sequence[Any]) -> None:
        super().__init__()
        self.column = column
        self.values = list(values)

    def get_sql(self, ctx: SqlContext) -> str:
        column = self.column.get_sql(ctx)
        if ctx.parameterizer is not None and ctx.dialect is Dialects.POSTGRESQL:
            return f"{column}=ANY({ValueWrapper(self.values).get_sql(ctx)})"
        if ctx.parameterizer is not None and ctx.dialect is Dialects.SQLITE:
            array = ValueWrapper(orjson.dumps(self.values).decode()).get_sql(ctx)
            return f"{column} IN (SELECT value FROM json_each({array}))"
        listed = ",".join(ValueWrapper(value).get_sql(ctx) for value in self.values)
        return f"{column} IN ({listed})" if self.values else "0=1"


async def read_rows(
    query: QuerySet,
    *,
    extra: Sequence[str] = (),
    outer: Callable[[str], str] | None = None,
    among: tuple[str, Sequence[Any]] | None = None,
) -> list[Row]:
    """The rows `query` selects (its filters, order, limit and annotations
    kept), every column of its model plus the annotations named in `extra`.
    `outer` wraps the statement in one of its own (it gets the statement's
    text; the parameters stay those of `query`): what the ORM cannot say,
    such as a filter on a window function (resolvers/deal_queries.py,
    `board_columns`); it may order by the model's plain columns and the
    `extra` ones, not by a converted one (selected under its `RAW` name).
    `among=(column, values)` keeps the rows whose column is one of the
    values, as one parameter (`_Among`): a loader's batch of ids."""
    make = row_class(query.model)
    values = query.values(*make.plain, *extra, **make.aliased)
    # What ValuesQuery.__await__ does, without its per-value converters.
    if values._db is None:
        values._db = values._choose_db()
    values._make_query()
    if among is not None:
        column, wanted = among
        table = query.model._meta.basetable
        values.query = values.query.where(
            _Among(table[query.model._meta.fields_db_projection[column]], wanted)
        )
    sql, parameters = values.query.get_parameterized_sql()
    if outer is not None:
        sql = outer(sql)
    # The driver's records (asyncpg's Record, sqlite3.Row) made into dicts
    # by zipping them with their column names: execute_query_dict's
    # dict(record) looks every column up by name.
    _, records = await values._db.execute_query(sql, parameters)
    if not records:
        return []
    names = tuple(records[0].keys())
    return [make(dict(zip(names, record, strict=True))) for record in records]
