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
still built by the ORM (filters, visibility, keyset, annotations; it runs
through the connection, so the tests' statement counter counts it), but
once per shape: its text is kept and only its parameters are bound per
request (resolvers/statement_cache.py, `statement_of`). Its answer is
read differently: datetimes by the C `datetime.fromisoformat`, JSON by
orjson, every other column as the driver returns it.

A column that needs converting (datetime, JSON, decimal) is converted when
it is first read, not when the row is read: a board reads 400 deals and
400 contacts of ~20 columns each and shows 4 of them, so converting every
datetime and decoding every `custom_fields` was most of what reading them
cost. Such a column is selected under another name (`RAW` + its name, an
alias in the statement: nothing per row in Python), and the row's class
converts it on first access and keeps the value as the attribute, so every
later read is a plain attribute read — the same value the eager conversion
gave (tests/graph/test_row_columns.py). See schema/lean_execution.py for the
other half, the GraphQL side of hot reads.

Joined records (`Join`, the board's owner and contact): what every row
points to and the page shows is read in the row's own statement, as the
physical floor does, not by a loader's batch afterwards — LEFT JOINs
around the statement, selecting only the columns the caller names (those
its selection shows), each under `JOIN` + the join's name + `:` + the
column's name in the row. Each row then carries the joined record as a Row
of its model (`joined(row, name)`; None when the row points to nothing),
one per record for the whole read (400 cards with 20 owners: 20 Rows).
A joined Row holds only the columns asked for: it is for showing, never
for a loader's cache."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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

from revgraph.resolvers.statement_cache import statement

# Columns that both drivers already return as the Python value.
_AS_RETURNED = (BigIntField, CharField, IntField, SmallIntField, TextField)


# The prefix of a column's name in the statement while its value is still
# the driver's (see the module's note); no model field starts so.
RAW = "rg_raw:"
# The prefix of a joined record's columns in the statement, and of the
# joined Row in its row (see the module's note).
JOIN = "rg_join:"


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


@dataclass(frozen=True)
class Join:
    """A record each row points to by `column`, read in the row's statement
    (see the module's note): `model`'s row with that id in the row's
    workspace; only `columns` (field names; None: every column), `id` always."""

    name: str
    model: type
    column: str
    columns: tuple[str, ...] | None = None

    def fields(self) -> tuple[str, ...]:
        every = tuple(name for name, _ in _columns(self.model))
        if self.columns is None:
            return every
        wanted = {"id", *self.columns}
        return tuple(name for name in every if name in wanted)


def is_null(record: Any, name: str) -> bool:
    """Whether `record`'s column `name` is null, without converting it (a
    Row's raw value, still the driver's, is null exactly when the converted
    one is); any other record is asked for it."""
    if isinstance(record, Row):
        columns = record.__dict__
        if name in columns:
            return columns[name] is None
        if RAW + name in columns:
            return columns[RAW + name] is None
    return getattr(record, name) is None


def joined(row: Row, name: str) -> Row | None:
    """The record `row` points to through the Join called `name`."""
    return row.__dict__[JOIN + name]


def joins_for(
    edges: Mapping[str, tuple[type, str]], shown: Mapping[str, tuple[str, ...] | None]
) -> tuple[Join, ...]:
    """The joins of a read for the records its rows show: `edges` names
    each record a row may point to (its model and the row's column),
    `shown` the edges shown and the columns shown of each (None: every
    column). A list's, a board's: one way for every read."""
    return tuple(Join(name, *edges[name], columns) for name, columns in sorted(shown.items()))


@functools.cache
def _joined_statement(
    joins: tuple[Join, ...], order: tuple[tuple[str, bool], ...], rows: type[Row]
) -> tuple[str, str, tuple[tuple[str, type[Row], list[str]], ...]]:
    """The text before and after a statement that puts the joins around it,
    ordered by `order` ((column, descending) of its rows, of Row class
    `rows`: a converted column by its raw name, which orders as the column
    does), and what each join selected (name, Row class, row keys). Made
    once per joins, order and Row class."""
    select = ['"q".*']
    clauses = []
    shapes = []
    for at, join in enumerate(joins):
        alias = f'"j{at}"'
        make = row_class(join.model)
        columns = join.model._meta.fields_db_projection  # type: ignore[attr-defined]
        keys = []
        for name in join.fields():
            key = RAW + name if name in make.lazy else name
            select.append(f'{alias}."{columns[name]}" AS "{JOIN}{join.name}:{key}"')
            keys.append(key)
        on = f'{alias}."id"="q"."{join.column}" AND {alias}."workspace_id"="q"."workspace_id"'
        clauses.append(f'LEFT JOIN "{join.model._meta.db_table}" {alias} ON {on}')  # type: ignore[attr-defined]
        shapes.append((join.name, make, keys))
    ordering = ",".join(
        f'"q"."{RAW + column if column in rows.lazy else column}"' + (" DESC" if descending else "")
        for column, descending in order
    )
    head = f"SELECT {','.join(select)} FROM ("
    tail = f') "q" {" ".join(clauses)} ORDER BY {ordering}'
    return head, tail, tuple(shapes)


def _statement(
    query: QuerySet,
    make: type[Row],
    extra: Sequence[str],
    only: Sequence[str] | None,
    among: str | None,
    wanted: Sequence[Any] | None,
) -> tuple[str, list[Any]]:
    """What the ORM makes of `query` for read_rows: its text and parameters
    (resolvers/statement_cache.py keeps the text per shape)."""
    if only is None:
        values = query.values(*make.plain, *extra, **make.aliased)
    else:
        kept = {"id", *only}
        plain = [name for name in make.plain if name in kept]
        aliased = {raw: name for raw, name in make.aliased.items() if name in kept}
        values = query.values(*plain, *extra, **aliased)
    # What ValuesQuery.__await__ does, without its per-value converters.
    if values._db is None:
        values._db = values._choose_db()
    values._make_query()
    _limit_in_text(values.query)
    if among is not None:
        table = query.model._meta.basetable
        values.query = values.query.where(
            _Among(table[query.model._meta.fields_db_projection[among]], wanted or ())
        )
    return values.query.get_parameterized_sql()


def _limit_in_text(query: Any) -> None:
    """Write the statement's LIMIT and OFFSET as numbers in its text, not
    as parameters. PostgreSQL plans a prepared statement afresh at each
    execution (a custom plan) while its generic plan looks dearer, and a
    generic plan's estimate for `LIMIT $n` assumes a tenth of the rows:
    a contacts page was re-planned every time, ~0.3 ms of the database's
    CPU of its ~1 ms (bench/READS.md, i15-sql). With the number in the
    text the generic plan's estimate is the custom one's and PostgreSQL
    keeps the generic plan after its five trial executions. The limit is
    part of a statement's shape already (statement_cache.py): a page size
    is one more text, not a text per request. Only ints, so nothing but
    digits reaches the text."""
    for bound in (query._limit, query._offset):
        if bound is not None and type(bound.value) is int:
            bound.allow_parametrize = False


def statement_of(
    query: QuerySet,
    *,
    extra: Sequence[str] = (),
    only: Sequence[str] | None = None,
    among: tuple[str, Sequence[Any]] | None = None,
) -> tuple[str, list[Any]]:
    """The text and parameters of read_rows' statement for `query` (before
    `outer` and `joins`): the text kept per shape (resolvers/statement_cache.py),
    the parameters the request's own."""
    make = row_class(query.model)
    db = query._db or query._choose_db()
    column = None if among is None else among[0]
    key = (db.capabilities.dialect, None if only is None else frozenset(only), tuple(extra), column)

    def build(query: QuerySet, wanted: Sequence[Any] | None) -> tuple[str, list[Any]]:
        return _statement(query, make, extra, only, column, wanted)

    return statement(query, key, build, None if among is None else among[1])


def _values_statement(query: QuerySet, fields: Sequence[str]) -> tuple[str, list[Any]]:
    """What the ORM makes of `query.values(*fields)`: text and parameters."""
    values = query.values(*fields)
    if values._db is None:
        values._db = values._choose_db()
    values._make_query()
    return values.query.get_parameterized_sql()


async def read_values(query: QuerySet, *fields: str) -> list[dict[str, Any]]:
    """`query.values(*fields)` as the driver returns them, unconverted (a
    count, a sum: the caller converts what it shows), the text kept per
    shape (resolvers/statement_cache.py): grouped reads of a hot request,
    such as a board's stage totals, skip the ORM's building as lists do."""
    db = query._db or query._choose_db()
    key = (db.capabilities.dialect, "values", fields)
    sql, parameters = statement(query, key, lambda query, _: _values_statement(query, fields))
    _, records = await db.execute_query(sql, parameters)
    return [dict(record) for record in records]


async def read_rows(
    query: QuerySet,
    *,
    extra: Sequence[str] = (),
    outer: Callable[[str], str] | None = None,
    among: tuple[str, Sequence[Any]] | None = None,
    joins: Sequence[Join] = (),
    order: Sequence[tuple[str, bool]] = (),
    only: Sequence[str] | None = None,
) -> list[Row]:
    """The rows `query` selects (its filters, order, limit and annotations
    kept), every column of its model plus the annotations named in `extra`.
    `outer` wraps the statement in one of its own (it gets the statement's
    text; the parameters stay those of `query`): what the ORM cannot say,
    such as a filter on a window function (resolvers/deal_queries.py,
    `board_columns`); it may order by the model's plain columns and the
    `extra` ones, not by a converted one (selected under its `RAW` name;
    `order`, below, may).
    `among=(column, values)` keeps the rows whose column is one of the
    values, as one parameter (`_Among`): a loader's batch of ids.
    `joins`: records the rows point to, read in the same statement (see
    the module's note), which is then ordered by `order` ((column,
    descending) pairs of the rows, required with joins). Joined columns
    name their join's table by the model's own `workspace_id` column,
    which the rows therefore keep. `only`: read just these columns of
    the model (what the caller shows; `id` always), not every one."""
    make = row_class(query.model)
    db = query._db or query._choose_db()
    sql, parameters = statement_of(query, extra=extra, only=only, among=among)
    if outer is not None:
        sql = outer(sql)
    shapes: tuple[tuple[str, type[Row], list[str]], ...] = ()
    if joins:
        if not order:
            raise ValueError("read_rows: joins need an order")
        head, tail, shapes = _joined_statement(tuple(joins), tuple(order), make)
        sql = head + sql + tail
    # The driver's records (asyncpg's Record, sqlite3.Row) made into dicts
    # by zipping them with their column names: execute_query_dict's
    # dict(record) looks every column up by name.
    _, records = await db.execute_query(sql, parameters)
    if not records:
        return []
    names = tuple(records[0].keys())
    if not shapes:
        new = object.__new__
        rows = []
        for record in records:
            row = new(make)  # what Row(columns) makes, without calling __init__
            row.__dict__ = dict(zip(names, record))  # noqa: B905  names are the record's keys
            rows.append(row)
        return rows
    return _split(records, names, make, shapes)


def _split(
    records: Sequence[Any],
    names: tuple[str, ...],
    make: type[Row],
    shapes: tuple[tuple[str, type[Row], list[str]], ...],
) -> list[Row]:
    """Rows with their joined Rows (one per joined record) from joined records.
    Per record, the least Python can do: the row's own columns zipped from
    the record's front (zip stops at the shorter; a
    keyword argument would make every zip dearer), each Row made without
    an `__init__` call: ~20 % fewer instructions a row (bench/READS.md)."""
    own = len(names) - sum(len(keys) for _, _, keys in shapes)
    own_names = names[:own]
    parts = []
    start = own
    for name, joined_make, keys in shapes:
        end = start + len(keys)
        parts.append((JOIN + name, joined_make, tuple(keys), start, end, start + keys.index("id"), {}))
        start = end
    new = object.__new__
    rows = []
    for record in records:
        # The record itself is indexed and sliced (asyncpg's Record and
        # sqlite3.Row both slice to a tuple): no copy of its values a row.
        columns = dict(zip(own_names, record))  # noqa: B905  the front (a keyword makes zip dearer)
        for key, joined_make, keys, begin, end, id_at, seen in parts:
            record_id = record[id_at]
            if record_id is None:
                columns[key] = None
                continue
            found = seen.get(record_id)
            if found is None:
                found = seen[record_id] = new(joined_make)
                found.__dict__ = dict(zip(keys, record[begin:end]))  # noqa: B905  as many
            columns[key] = found
        row = new(make)
        row.__dict__ = columns
        rows.append(row)
    return rows
