"""The SQL of custom-field conditions, per backend. Tortoise's JSON lookups
do not work on SQLite, so it is written here: `json_type`/`json_extract` on
SQLite, `jsonb_typeof`/`->>` on PostgreSQL, each value read only when it has
the stored shape of its type (a text that is not a decimal never reaches a
cast), as types.read reads it in Python. Keys and operands are always bound
parameters (a key also matched types.KEY before it got here). Every
condition is true or false, never NULL, so `not` means what it says in
Python."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pypika_tortoise import SqlContext
from pypika_tortoise.terms import Criterion, Term, ValueWrapper
from tortoise.expressions import Q, ResolveContext
from tortoise.query_utils import QueryModifier

from revgraph.resolvers.custom_fields.types import FieldShape


class SqlQ(Q):
    """A Q whose condition is SQL built when the query resolves, for the
    backend it runs on, from the `custom_fields` column of its table."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[Term, str], Criterion]) -> None:
        super().__init__()
        self.build = build

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __invert__(self) -> SqlQ:
        negated = SqlQ(self.build)
        negated._is_negated = not self._is_negated
        return negated

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        dialect = resolve_context.model._meta.db.capabilities.dialect
        modifier = QueryModifier(where_criterion=self.build(resolve_context.table["custom_fields"], dialect))
        return ~modifier if self._is_negated else modifier


class Sql(Criterion):
    """A fixed SQL template whose `{}` take, in order, a term (a column,
    another template) or a value, which is always a bound parameter."""

    def __init__(self, template: str, *args: Any) -> None:
        super().__init__()
        self.pieces = template.split("{}")
        if len(self.pieces) != len(args) + 1:
            raise ValueError(f"{template!r} takes {len(self.pieces) - 1} arguments")
        self.args = [arg if isinstance(arg, Term) else ValueWrapper(arg) for arg in args]

    def get_sql(self, ctx: SqlContext) -> str:
        # Rendered strictly left to right: parameters are numbered (or,
        # on SQLite, bound) in the order they appear.
        out = [self.pieces[0]]
        for arg, piece in zip(self.args, self.pieces[1:], strict=True):
            out += [arg.get_sql(ctx), piece]
        return "(" + "".join(out) + ")"


# Stored shapes, as types.DECIMAL_TEXT and types.DATE_TEXT say them.
_SQLITE_DECIMAL = (
    "{} GLOB '*[0-9]*' AND {} NOT GLOB '*[^0-9.-]*' AND {} NOT GLOB '?*-*' AND {} NOT GLOB '*.*.*'"
    " AND {} NOT GLOB '*.' AND {} NOT GLOB '.*' AND {} NOT GLOB '-.*'"
)
_SQLITE_DATE = "{} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"


def _sqlite_path(key: str) -> str:
    return f'$."{key}"'


def _value_sql(type_name: str, key: str, column: Term, dialect: str) -> Term:
    """The field's value as its type compares (NULL when it has none)."""
    if dialect == "sqlite":
        kind = Sql("json_type({}, {})", column, _sqlite_path(key))
        value = Sql("json_extract({}, {})", column, _sqlite_path(key))
        if type_name in ("TEXT", "SELECT"):
            return Sql("CASE WHEN {} = 'text' THEN {} END", kind, value)
        if type_name == "NUMBER":
            return Sql("CASE WHEN {} = 'integer' THEN {} END", kind, value)
        if type_name == "DECIMAL":
            shaped = Sql(_SQLITE_DECIMAL, *[value] * 7)
            return Sql("CASE WHEN {} = 'text' AND {} THEN CAST({} AS REAL) END", kind, shaped, value)
        if type_name == "DATE":
            return Sql("CASE WHEN {} = 'text' AND {} THEN {} END", kind, Sql(_SQLITE_DATE, value), value)
        if type_name == "BOOLEAN":
            return Sql("CASE WHEN {} IN ('true', 'false') THEN {} END", kind, kind)
    else:
        text = Sql("{} ->> CAST({} AS text)", column, key)
        kind = Sql("jsonb_typeof({} -> CAST({} AS text))", column, key)
        if type_name in ("TEXT", "SELECT"):
            return Sql("CASE WHEN {} = 'string' THEN {} END", kind, text)
        if type_name == "NUMBER":
            return Sql(
                "CASE WHEN {} = 'number' AND {} ~ '^-?[0-9]+$' THEN CAST({} AS numeric) END", kind, text, text
            )
        if type_name == "DECIMAL":
            return Sql(
                "CASE WHEN {} = 'string' AND {} ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN CAST({} AS numeric) END",
                kind,
                text,
                text,
            )
        if type_name == "DATE":
            return Sql(
                "CASE WHEN {} = 'string' AND {} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN {} END",
                kind,
                text,
                text,
            )
        if type_name == "BOOLEAN":
            return Sql("CASE WHEN {} = 'boolean' THEN {} END", kind, text)
    raise ValueError(f"no SQL value for {type_name}")


def _param(type_name: str, value: Any, dialect: str) -> Term:
    """A bound operand of the type the value expression has."""
    if type_name == "BOOLEAN":
        value = "true" if value else "false"
    if dialect == "sqlite":
        # sqlite3 binds no Decimal; SQLite compares decimals as REAL.
        return ValueWrapper(float(value) if type_name == "DECIMAL" else value)
    if type_name in ("NUMBER", "DECIMAL"):
        return Sql("CAST({} AS numeric)", Decimal(value))
    return Sql("CAST({} AS text)", str(value))


def _has_options(key: str, column: Term, dialect: str) -> Term:
    if dialect == "sqlite":
        path = _sqlite_path(key)
        return Sql(
            "json_type({}, {}) = 'array' AND json_array_length({}, {}) > 0", column, path, column, path
        )
    kind = Sql("jsonb_typeof({} -> CAST({} AS text))", column, key)
    array = Sql("CASE WHEN {} = 'array' THEN {} -> CAST({} AS text) END", kind, column, key)
    return Sql("{} = 'array' AND jsonb_array_length({}) > 0", kind, array)


def _has_option(key: str, option: str, column: Term, dialect: str) -> Term:
    if dialect == "sqlite":
        path = _sqlite_path(key)
        return Sql(
            "json_type({}, {}) = 'array' AND EXISTS (SELECT 1 FROM json_each({}, {}) AS chosen"
            " WHERE chosen.type = 'text' AND chosen.value = {})",
            column,
            path,
            column,
            path,
            option,
        )
    kind = Sql("jsonb_typeof({} -> CAST({} AS text))", column, key)
    array = Sql("CASE WHEN {} = 'array' THEN {} -> CAST({} AS text) END", kind, column, key)
    return Sql("{} = 'array' AND jsonb_exists({}, CAST({} AS text))", kind, array, option)


def has_key(key: str, column: Term, dialect: str) -> Criterion:
    if dialect == "sqlite":
        return Sql("json_type({}, {}) IS NOT NULL", column, _sqlite_path(key))
    return Sql("({} -> CAST({} AS text)) IS NOT NULL", column, key)


def criterion(shape: FieldShape, op: str, want: Any, column: Term, dialect: str) -> Criterion:
    """One operator as a condition that is never NULL."""
    false, true = ("0", "1") if dialect == "sqlite" else ("FALSE", "TRUE")
    if shape.type == "MULTI_SELECT":
        if op == "is_null":
            has = Sql("COALESCE({}, " + false + ")", _has_options(shape.key, column, dialect))
            return Sql("NOT {}", has) if want else has
        wanted = [want] if op == "contains" else list(want)
        if not wanted:
            return Sql("1 = 0")
        any_of = Sql(
            " OR ".join(["{}"] * len(wanted)), *(_has_option(shape.key, w, column, dialect) for w in wanted)
        )
        return Sql("COALESCE({}, " + false + ")", any_of)
    value = _value_sql(shape.type, shape.key, column, dialect)
    if op == "is_null":
        return Sql("{} IS NULL" if want else "{} IS NOT NULL", value)
    if op == "in":
        if not want:
            return Sql("1 = 0")
        listed = ", ".join(["{}"] * len(want))
        return Sql(
            "COALESCE({} IN (" + listed + "), " + false + ")",
            value,
            *(_param(shape.type, w, dialect) for w in want),
        )
    if op == "contains":
        pattern = "%" + want.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        like = "LIKE" if dialect == "sqlite" else "ILIKE"
        return Sql(
            "COALESCE({} " + like + " {} ESCAPE '\\', " + false + ")", value, _param("TEXT", pattern, dialect)
        )
    if op == "starts_with":
        return Sql(
            "COALESCE(substr({}, 1, length({})) = {}, " + false + ")",
            value,
            _param("TEXT", want, dialect),
            _param("TEXT", want, dialect),
        )
    if op == "neq":
        return Sql("COALESCE({} <> {}, " + true + ")", value, _param(shape.type, want, dialect))
    sign = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
    return Sql("COALESCE({} " + sign + " {}, " + false + ")", value, _param(shape.type, want, dialect))
