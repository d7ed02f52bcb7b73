"""One check for every filter a client sends — a list's `filter`, a stage's
entry condition, an automation's conditions — before it becomes SQL or is
stored: known fields and operators only, and/or/not nested at most
`max_filter_depth` deep, at most `max_filter_conditions` field conditions
in all, at most `max_filter_values` filters in one and/or and values in one
list, text values no longer than a search.
What fails is an INVALID DomainError naming the path into the filter, so
an unknown field or a 20,000-branch `or` is the client's error, not a
RecursionError or a database refusing the statement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from revgraph.resolvers import filtering as f
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.settings import Limits
from revgraph.resolvers.validation import check_text

# Operators each kind of field accepts (resolvers/filtering.py).
OPERATORS = {
    f.STRING: ("eq", "neq", "in", "contains", "starts_with", "is_null"),
    f.ID: ("eq", "in", "is_null"),
    f.INT: ("eq", "gt", "gte", "lt", "lte"),
    f.DECIMAL: ("eq", "gt", "gte", "lt", "lte"),
    f.DATETIME: ("gt", "gte", "lt", "lte", "is_null"),
}


def camel(name: str) -> str:
    """`starts_with` / `in_` / `startsWith` → `startsWith` / `in`: paths name
    the filter as the client wrote it in GraphQL."""
    head, *rest = f.snake(name).split("_")
    return head + "".join(part.title() for part in rest)


def check_filter(
    filter: Mapping[str, Any] | None, fields: f.FieldMap, limits: Limits, field: list[str]
) -> None:
    """Refuse a filter that is malformed or too big (see the module)."""
    if not filter:
        return
    conditions = 0
    # depth: how many and/or/not lead to the node (the top one: none).
    pending: list[tuple[Mapping[str, Any], list[str], int]] = [(filter, field, 0)]
    while pending:
        node, path, depth = pending.pop()
        if not isinstance(node, Mapping):
            raise DomainError("INVALID", _("Each filter is an object of conditions."), path)
        for raw_key, value in node.items():
            key, here = f.snake(raw_key), [*path, camel(raw_key)]
            if value is None:
                continue  # a condition sent as null constrains nothing
            if key in f.COMBINATORS:
                children = [value] if key == "not" else value
                if not isinstance(children, list):
                    raise DomainError(
                        "INVALID", _("`{camel}` takes a list of filters.", camel=camel(raw_key)), here
                    )
                if len(children) > limits.max_filter_values:
                    raise DomainError(
                        "INVALID",
                        _(
                            "`{camel}` takes at most {limits_max_filter_values} filters.",
                            camel=camel(raw_key),
                            limits_max_filter_values=limits.max_filter_values,
                        ),
                        here,
                    )
                if depth + 1 > limits.max_filter_depth:
                    raise DomainError(
                        "INVALID",
                        _(
                            "and/or/not may nest at most {limits_max_filter_depth} deep.",
                            limits_max_filter_depth=limits.max_filter_depth,
                        ),
                        here,
                    )
                paths = [here] if key == "not" else [[*here, str(i)] for i in range(len(children))]
                pending.extend((child, p, depth + 1) for child, p in zip(children, paths, strict=True))
            else:
                spec = fields.get(key)
                if spec is None:
                    known = ", ".join(camel(name) for name in fields)
                    raise DomainError(
                        "INVALID",
                        _("Unknown filter field {camel!r}: use {known}.", camel=camel(raw_key), known=known),
                        here,
                    )
                conditions += 1
                _check_condition(spec, value, limits, here)
            if conditions > limits.max_filter_conditions:
                raise DomainError(
                    "INVALID",
                    _(
                        "A filter has at most {limits_max_filter_conditions} field conditions.",
                        limits_max_filter_conditions=limits.max_filter_conditions,
                    ),
                    field,
                )


def _check_condition(spec: f.FieldSpec, value: Any, limits: Limits, path: list[str]) -> None:
    if spec.check is not None:
        spec.check(value, limits, path)
        return
    if spec.kind == f.TRASHED:
        if not isinstance(value, bool):
            raise DomainError("INVALID", _("Send true or false."), path)
        return
    if spec.kind == f.ONE_OF or spec.custom is not None:
        check_values(value, limits, path)
        return
    if not isinstance(value, Mapping):
        raise DomainError("INVALID", _("Send an object of operators, e.g. {eq: ...}."), path)
    allowed = OPERATORS.get(spec.kind, ())
    for raw_op, operand in value.items():
        op, here = f.snake(raw_op), [*path, camel(raw_op)]
        if op not in allowed:
            known = ", ".join(camel(name) for name in allowed)
            raise DomainError(
                "INVALID",
                _("Unknown operator {camel!r}: use {known}.", camel=camel(raw_op), known=known),
                here,
            )
        if operand is None:
            continue
        if op == "in":
            check_values(operand, limits, here)
        elif isinstance(operand, str):
            check_value(operand, limits, here)


def check_values(values: Any, limits: Limits, path: list[str]) -> None:
    """A filter's list of values: a list, bounded, each text value checked."""
    if not isinstance(values, list):
        raise DomainError("INVALID", _("Send a list of values."), path)
    if len(values) > limits.max_filter_values:
        raise DomainError(
            "INVALID",
            _(
                "A filter list holds at most {limits_max_filter_values} values.",
                limits_max_filter_values=limits.max_filter_values,
            ),
            path,
        )
    for index, item in enumerate(values):
        if isinstance(item, str):
            check_value(item, limits, [*path, str(index)])


def check_value(text: str, limits: Limits, path: list[str]) -> None:
    """A filter's text value: no longer than a search, no control characters."""
    if len(text) > limits.max_search_chars:
        raise DomainError(
            "INVALID",
            _(
                "A filter value must be at most {limits_max_search_chars} characters.",
                limits_max_search_chars=limits.max_search_chars,
            ),
            path,
        )
    check_text(text, path, what=_("A filter value"))
