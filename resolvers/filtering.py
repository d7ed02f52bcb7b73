"""The contract's filter language (and/or/not plus per-field operator
inputs), translated to Tortoise Q objects for SQL and evaluated in Python
over plain values (stage entry conditions) — one meaning for both. What a client sends is
checked first by filter_checks.check_filter.

A filter is a dict as sent by the client, keyed by GraphQL names
(`ownerId`, `startsWith`, `and`) or by Strawberry's Python names
(`owner_id`, `starts_with`, `and_`); both are accepted so a filter stored
as JSON evaluates like one just received. Which columns the fields mean
and how their values read is a per-entity `FieldMap` parameter."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.expressions import Q

from revgraph.resolvers.i18n import _
from revgraph.resolvers.ids import decode_id, pk_of

# Kinds of filterable fields and the operators each accepts.
STRING = "string"  # StringFilter: eq neq in contains startsWith isNull
ID = "id"  # IDFilter: eq in isNull, values are global ids of `id_type`
INT = "int"  # IntFilter: eq gt gte lt lte
DECIMAL = "decimal"  # DecimalFilter: eq gt gte lt lte
DATETIME = "datetime"  # DateTimeFilter: gt gte lt lte isNull
ONE_OF = "one_of"  # a list of enum keys: the column holds one of them
TRASHED = "trashed"  # `deleted: Boolean`: true = only trashed rows

COMBINATORS = ("and", "or", "not")


@dataclass(frozen=True)
class FieldSpec:
    """How one filter field reads: the column it tests, its kind, and for
    ids the global-id type name (an id of another type matches nothing).
    `custom` replaces the generic translation (e.g. tags as a subquery);
    `evaluate` replaces the generic Python evaluation; `check` replaces
    filter_checks' check of the condition (value, limits, path)."""

    column: str
    kind: str
    id_type: str | None = None
    custom: Callable[[Any], Q] | None = None
    evaluate: Callable[[Any, Any], bool] | None = None
    check: Callable[[Any, Any, list[str]], None] | None = None


FieldMap = Mapping[str, FieldSpec]


class UnknownFilterField(ValueError):
    """A filter key that the field map does not define."""


def camel(name: str) -> str:
    """`starts_with` / `and_` → `startsWith` / `and`."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.title() for part in rest)


def stored_filter(value: Any) -> Any:
    """A filter as it is stored (stage entry conditions, automation
    conditions, segments): GraphQL key names and JSON-safe values."""
    if isinstance(value, dict):
        return {camel(k): stored_filter(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stored_filter(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snake(name: str) -> str:
    """`startsWith` / `starts_with` / `in_` → `starts_with` / `in`."""
    name = name.rstrip("_")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _nothing() -> Q:
    # `id IN ()` is rendered as 1=0 by Tortoise: a condition no row meets.
    return Q(id__in=[])


def _pks(values: Any, id_type: str | None) -> list[int]:
    found = []
    for value in values or ():
        pk = _pk(value, id_type)
        if pk is not None:
            found.append(pk)
    return found


def _pk(value: Any, id_type: str | None) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return pk_of(value, id_type) if id_type else None


def _field_q(spec: FieldSpec, ops: Any) -> Q:
    if ops is None:
        return Q()  # a field sent as null constrains nothing, like an operator
    if spec.custom is not None:
        return spec.custom(ops)
    column = spec.column
    if spec.kind == TRASHED:
        return Q(**{f"{column}__isnull": not ops})
    if spec.kind == ONE_OF:
        return Q(**{f"{column}__in": list(ops)})
    if not isinstance(ops, Mapping):
        raise UnknownFilterField(_("operators expected for {column}", column=column))
    parts: list[Q] = []
    for raw_op, value in ops.items():
        op = snake(raw_op)
        if value is None and op != "is_null":
            continue  # an operator sent as null constrains nothing
        parts.append(_operator_q(spec, op, value))
    return _all(parts)


def _operator_q(spec: FieldSpec, op: str, value: Any) -> Q:
    column = spec.column
    if op == "is_null":
        return Q() if value is None else Q(**{f"{column}__isnull": bool(value)})
    if spec.kind == ID:
        if op == "eq":
            pk = _pk(value, spec.id_type)
            return _nothing() if pk is None else Q(**{column: pk})
        if op == "in":
            return Q(**{f"{column}__in": _pks(value, spec.id_type)})
    elif spec.kind == STRING:
        simple = {"eq": "", "contains": "__icontains", "starts_with": "__startswith", "in": "__in"}
        if op in simple:
            return Q(**{f"{column}{simple[op]}": list(value) if op == "in" else value})
        if op == "neq":
            # SQL's `<>` drops NULLs; "not equal to x" keeps rows without a value.
            return Q(**{f"{column}__not": value}) | Q(**{f"{column}__isnull": True})
    elif spec.kind in (INT, DECIMAL, DATETIME):
        comparisons = {"eq": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}
        if op in comparisons and not (spec.kind == DATETIME and op == "eq"):
            return Q(**{f"{column}{comparisons[op]}": value})
    raise UnknownFilterField(_("operator {op!r} is not defined for {column}", op=op, column=column))


def _all(parts: list[Q]) -> Q:
    # One flat node, not a chain of `&=`: Tortoise resolves Q trees
    # recursively, and a 100-deep chain is 100 levels of it.
    return Q(*parts) if parts else Q()


def any_of(parts: list[Q]) -> Q:
    """One flat OR node (see `_all`)."""
    return Q(*parts, join_type=Q.OR)


def filter_q(filter: Mapping[str, Any] | None, fields: FieldMap) -> Q:
    """The Q object selecting the rows that match `filter` (None: all)."""
    if not filter:
        return Q()
    parts: list[Q] = []
    for raw_key, value in filter.items():
        key = snake(raw_key)
        if key == "and":
            parts.extend(filter_q(sub, fields) for sub in value or ())
        elif key == "or":
            if value is not None:
                alternatives = [filter_q(sub, fields) for sub in value]
                if not alternatives:
                    parts.append(_nothing())
                elif all(alternatives):
                    parts.append(any_of(alternatives))
                # else one alternative constrains nothing: every row matches
        elif key == "not":
            if value is not None:
                inner = filter_q(value, fields)
                # Tortoise drops an empty node, negated or not; "not
                # (anything)" must match nothing, as `matches` says.
                parts.append(~inner if inner else _nothing())
        else:
            spec = fields.get(key)
            if spec is None:
                raise UnknownFilterField(_("unknown filter field {raw_key!r}", raw_key=raw_key))
            parts.append(_field_q(spec, value))
    return _all(parts)


# ------------------------------------------------------------- in Python


def _comparable(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == DECIMAL:
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None
    if kind == DATETIME:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return None
        # Comparing naive with aware times raises; the API's times are UTC.
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
    return value


def _record_pk(value: Any, id_type: str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    decoded = decode_id(value) if isinstance(value, str) else None
    if decoded is not None and (id_type is None or decoded[0] == id_type):
        return decoded[1]
    return None


def _operator_matches(spec: FieldSpec, op: str, expected: Any, actual: Any) -> bool:
    if op == "is_null":
        return (actual is None) == bool(expected)
    kind = spec.kind
    if kind == ID:
        have = _record_pk(actual, spec.id_type)
        if op == "eq":
            want = _pk(expected, spec.id_type)
            return want is not None and have == want
        if op == "in":
            return have is not None and have in _pks(expected, spec.id_type)
    elif kind == STRING:
        if op == "eq":
            return actual == expected
        if op == "neq":
            return actual != expected
        if op == "in":
            return actual in list(expected)
        if actual is None:
            return False
        if op == "contains":
            return str(expected).lower() in str(actual).lower()
        if op == "starts_with":
            return str(actual).startswith(str(expected))
    elif kind in (INT, DECIMAL, DATETIME):
        have, want = _comparable(kind, actual), _comparable(kind, expected)
        if have is None or want is None:
            return False
        checks = {
            "eq": lambda: have == want,
            "gt": lambda: have > want,
            "gte": lambda: have >= want,
            "lt": lambda: have < want,
            "lte": lambda: have <= want,
        }
        if op in checks and not (kind == DATETIME and op == "eq"):
            return checks[op]()
    raise UnknownFilterField(
        _("operator {op!r} is not defined for {spec_column}", op=op, spec_column=spec.column)
    )


def _field_matches(spec: FieldSpec, ops: Any, actual: Any) -> bool:
    if ops is None:
        return True
    if spec.evaluate is not None:
        return spec.evaluate(ops, actual)
    if spec.kind == TRASHED:
        return bool(actual) == bool(ops)
    if spec.kind == ONE_OF:
        return actual in list(ops)
    if not isinstance(ops, Mapping):
        raise UnknownFilterField(_("operators expected for {spec_column}", spec_column=spec.column))
    return all(
        _operator_matches(spec, snake(op), value, actual)
        for op, value in ops.items()
        if value is not None or snake(op) == "is_null"
    )


def matches(filter: Mapping[str, Any] | None, record: Mapping[str, Any], fields: FieldMap) -> bool:
    """Whether a record (plain values keyed like the field map: ids as
    primary keys or global ids, trashed as a bool or the deletion time)
    meets `filter`, with the same meaning `filter_q` gives it in SQL."""
    if not filter:
        return True
    values = {snake(k): v for k, v in record.items()}
    for raw_key, value in filter.items():
        key = snake(raw_key)
        if key == "and":
            if not all(matches(sub, record, fields) for sub in value or ()):
                return False
        elif key == "or":
            if value is not None and not any(matches(sub, record, fields) for sub in value):
                return False
        elif key == "not":
            if value is not None and matches(value, record, fields):
                return False
        else:
            spec = fields.get(key)
            if spec is None:
                raise UnknownFilterField(_("unknown filter field {raw_key!r}", raw_key=raw_key))
            if not _field_matches(spec, value, values.get(key)):
                return False
    return True
