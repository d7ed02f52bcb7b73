"""`customField: {key, ...operators}` in ContactFilter, CompanyFilter and
DealFilter: checked like every filter (filter_checks), translated to SQL
for lists on SQLite and PostgreSQL, and evaluated in Python for stage entry
conditions and automation conditions, with one meaning everywhere.

Operators by type: TEXT eq neq in contains startsWith isNull; NUMBER,
DECIMAL and DATE eq neq in gt gte lt lte isNull; BOOLEAN eq neq isNull;
SELECT eq neq in isNull; MULTI_SELECT contains (has this option), in (has
any of these) and isNull (no option). Operands read like written values
("42" is 42 for a NUMBER, "31/03/2025" a DATE). A record holding no value
of the field's type matches no comparison but `neq`, and `isNull: true`.

The SQL, per backend, is in `sql`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q

from revgraph.resolvers import filtering as f
from revgraph.resolvers.custom_fields import sql
from revgraph.resolvers.custom_fields.types import KEY, BadValue, FieldShape, normalise, read, shape_of
from revgraph.resolvers.custom_fields.values import ENTITY_WORDS, definitions_for
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.filter_checks import camel, check_value, check_values
from revgraph.resolvers.i18n import _
from revgraph.resolvers.settings import Limits

FIELD = "custom_field"  # `customField` in a filter
COMPARISONS = ("eq", "neq", "in", "gt", "gte", "lt", "lte", "is_null")
OPERATORS = {
    "TEXT": ("eq", "neq", "in", "contains", "starts_with", "is_null"),
    "NUMBER": COMPARISONS,
    "DECIMAL": COMPARISONS,
    "DATE": COMPARISONS,
    "BOOLEAN": ("eq", "neq", "is_null"),
    "SELECT": ("eq", "neq", "in", "is_null"),
    "MULTI_SELECT": ("contains", "in", "is_null"),
}


def mentions(filter: Any) -> bool:
    """Whether a filter (as sent or stored) has a customField condition."""
    pending = [filter]
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if f.snake(str(key)) == FIELD:
                    return True
                pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)
    return False


async def with_custom_fields(
    fields: f.FieldMap, workspace_id: int, entity: str, *filters: Any
) -> dict[str, f.FieldSpec]:
    """`fields` plus `customField` for the entity. The definitions are read
    only when one of `filters` names a custom field, so lists and boards
    filtered otherwise cost no extra query."""
    definitions = await definitions_for(workspace_id, entity) if any(map(mentions, filters)) else []
    return {**fields, FIELD: custom_field_spec(definitions, entity)}


def custom_field_spec(definitions: Iterable[Any], entity: str) -> f.FieldSpec:
    """The `customField` filter field over these definitions (archived ones
    too: a stored condition keeps its meaning after its field is archived)."""
    shapes = {d.key: shape_of(d) for d in definitions}
    return f.FieldSpec(
        "custom_fields",
        FIELD,
        custom=lambda ops: condition_q(shapes, ops),
        evaluate=lambda ops, values: condition_matches(shapes, ops, values),
        check=lambda ops, limits, path: check_condition(shapes, entity, ops, limits, path),
    )


# ------------------------------------------------------------ operands


def operand(shape: FieldShape, op: str, value: Any) -> Any:
    """An operator's value as comparisons use it (BadValue when it cannot be)."""
    if op == "is_null":
        if not isinstance(value, bool):
            raise BadValue(_("send true or false."))
        return value
    if op == "in":
        if not isinstance(value, list):
            raise BadValue(_("send a list of values."))
        return [_single(shape, item) for item in value]
    if op in ("contains", "starts_with") and shape.type == "TEXT":
        if not isinstance(value, str) or not value:
            raise BadValue(_("send some text."))
        return value
    return _single(shape, value)


def _single(shape: FieldShape, value: Any) -> Any:
    # A MULTI_SELECT is compared one option at a time.
    one = replace(shape, type="SELECT") if shape.type == "MULTI_SELECT" else shape
    normalised = normalise(one, value)
    if normalised is None:
        raise BadValue(_("send a value (or use isNull)."))
    return Decimal(normalised) if shape.type == "DECIMAL" else normalised


def check_condition(
    shapes: Mapping[str, FieldShape], entity: str, ops: Any, limits: Limits, path: list[str]
) -> None:
    """filter_checks' check of one customField condition."""
    if not isinstance(ops, Mapping):
        raise DomainError("INVALID", _('Send {key: "...", eq: ...}.'), path)
    key = ops.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise DomainError("INVALID", _("key is the custom field's key, e.g. renda_mensal."), [*path, "key"])
    shape = shapes.get(key)
    if shape is None:
        defined = ", ".join(shapes) or "none yet"
        raise DomainError(
            "INVALID",
            _(
                "No custom field {key!r} is defined for {ENTITY_WORDS} (defined: {defined}).",
                key=key,
                ENTITY_WORDS=ENTITY_WORDS[entity],
                defined=defined,
            ),
            [*path, "key"],
        )
    allowed = OPERATORS[shape.type]
    for raw_op, value in ops.items():
        op, here = f.snake(raw_op), [*path, camel(raw_op)]
        if op == "key" or value is None:
            continue
        if op not in allowed:
            known = ", ".join(camel(name) for name in allowed)
            raise DomainError(
                "INVALID", _("A {shape_type} field takes {known}.", shape_type=shape.type, known=known), here
            )
        if op == "in":
            check_values(value, limits, here)
        elif isinstance(value, str):
            check_value(value, limits, here)
        try:
            operand(shape, op, value)
        except BadValue as bad:
            raise DomainError("INVALID", _("{key}: {bad}", key=key, bad=bad), here) from bad


# ------------------------------------------------------------ in Python


def condition_matches(shapes: Mapping[str, FieldShape], ops: Any, values: Any) -> bool:
    """Whether a record's custom fields (`values`) meet one condition."""
    shape = shapes.get(ops.get("key")) if isinstance(ops, Mapping) else None
    if shape is None:
        return False  # a field unknown here matches nothing, as in SQL
    stored = values.get(shape.key) if isinstance(values, Mapping) else None
    have = read(shape.type, stored)
    for raw_op, value in ops.items():
        op = f.snake(raw_op)
        if op == "key" or value is None:
            continue
        try:
            want = operand(shape, op, value)
        except BadValue:
            return False  # a stored condition that no longer reads matches nothing
        if not _holds(shape.type, op, want, have):
            return False
    return True


def _holds(type_name: str, op: str, want: Any, have: Any) -> bool:
    if op == "is_null":
        return (have is None) == want
    if type_name == "MULTI_SELECT":
        chosen = [item for item in have or () if isinstance(item, str)]
        return want in chosen if op == "contains" else any(option in chosen for option in want)
    if op == "neq":
        return have is None or have != want
    if have is None:
        return False
    if op == "eq":
        return bool(have == want)
    if op == "in":
        return have in want
    if op == "contains":
        return want.lower() in have.lower()
    if op == "starts_with":
        return bool(have.startswith(want))
    return bool({"gt": have > want, "gte": have >= want, "lt": have < want, "lte": have <= want}[op])


# ------------------------------------------------------------ in SQL


def condition_q(shapes: Mapping[str, FieldShape], ops: Any) -> Q:
    """The SQL condition of one customField condition."""
    shape = shapes.get(ops.get("key")) if isinstance(ops, Mapping) else None
    if shape is None:
        return Q(id__in=[])
    parts: list[Q] = []
    for raw_op, value in ops.items():
        op = f.snake(raw_op)
        if op == "key" or value is None:
            continue
        try:
            want = operand(shape, op, value)
        except BadValue:
            return Q(id__in=[])
        parts.append(
            sql.SqlQ(
                lambda column, dialect, op=op, want=want: sql.criterion(shape, op, want, column, dialect)
            )
        )
    return Q(*parts) if parts else Q()


def stored_q(key: str) -> Q:
    """Records holding any value under `key` (of any shape, null included)."""
    return sql.SqlQ(lambda column, dialect: sql.has_key(key, column, dialect))


def option_q(shape: FieldShape, option: str) -> Q:
    """Records whose SELECT is `option`, or whose MULTI_SELECT includes it."""
    op = "contains" if shape.type == "MULTI_SELECT" else "eq"
    return sql.SqlQ(lambda column, dialect: sql.criterion(shape, op, option, column, dialect))
