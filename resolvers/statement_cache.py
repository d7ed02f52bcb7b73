"""Statement texts of hot reads, built once per shape: the one place where
read_rows.py's statements skip the ORM's building.

Building a list page's statement through Tortoise and pypika (resolving
filters, visibility, keyset, annotations and rendering them) cost about
as much CPU as executing it and reading its rows. Every request of a list
builds the same text: only its parameters differ. So the text is built
once per *shape* and kept, with a recipe for its parameters; later
requests of that shape only collect their values.

The shape of a query (`shape_of`) is everything its text depends on: the
model, every Q (tree, join type, negation, filter keys in order), every
annotation (a Subquery's own query, recursively; a RawSQL's text; an
aggregate's column), ordering, limit, offset, distinct, grouping, the
selected columns, the dialect. Its *values* (the filter values: ids,
strings, datetimes, decimals, the elements of an `__in` list, a loader's
batch) are left out of the shape and collected in order; None and
booleans stay in it (`x=None` is `IS NULL`, not a parameter). Anything
the walk does not know (an F expression, a function of values, a join
the ORM adds for a relation's field, ...) makes the query *unshaped*: it
is built by the ORM every time, as before. Failing closed is the rule.

The recipe is learnt, not assumed: on a shape's first use its statement
is built twice, once with the request's values and once with *probes*
(distinct values of the same types no request would send), and each
parameter of the probe build is matched to the probe it came from, as is
or as the ORM writes it for a lookup (`contains`' escaped LIKE pattern,
`_MADE_FROM`). The shape is kept only when the two texts are equal, every
probe shows up as a parameter (a value the ORM converted otherwise or
inlined does not, and such shapes are not kept), and the recipe applied
to the request's own values gives exactly the parameters the ORM gave. Parameters that match
no probe come from the shape itself and are kept as they are (read_rows writes its LIMIT into
the text instead, `_limit_in_text`).
A shape that fails is remembered as unshaped, so it costs one build per
request from then on, like any query before.

A module-level cache, unlike the per-request loaders (STYLE.md): it holds
statement texts and parameter positions, never a value of a request, so
nothing of one workspace or caller can reach another; the values, the
scope's owners included, are always the request's own
(tests/graph/test_statement_cache.py)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.filters import escape_like
from tortoise.functions import Aggregate
from tortoise.queryset import QuerySet, ValuesQuery

# How many shapes are kept; past that the cache starts over (a server has
# tens: lists × orderings × filter shapes).
MAX_SHAPES = 2048


class Unshaped(Exception):
    """The walk met something whose effect on the text it cannot tell."""


# The values a query's text never depends on, only its parameters (these
# exact types: a subclass, an enum, may render otherwise): each is
# collected in walk order and replaced by a probe of the same type.
_PROBED = frozenset({int, str, Decimal, datetime, date})


@dataclass
class _Leaf:
    """A value of the query as one parameter (a loader's batch, `_Among`):
    probed whole, a list of distinct ints."""

    value: Sequence[Any]


class _Probes:
    """Distinct values of a leaf's type, never equal to a request's (they
    are far outside what ids, scores and dates hold)."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def __call__(self, value: Any) -> Any:
        n = next(self._next)
        kind = type(value)
        if kind is int:
            return -7_340_000_000_000 - n
        if kind is str:
            # Short: it must pass a CharField's max_length like the value.
            return f"\x1f{n:x}\x1f"
        if kind is Decimal:
            return Decimal(-7_340_000_000_000 - n)
        if kind is datetime:
            return datetime(1901, 2, 3, tzinfo=value.tzinfo) + timedelta(microseconds=n)
        if kind is date:
            return date(1001, 1, 1) + timedelta(days=n)
        if kind is _Leaf:
            return _Leaf([-7_340_000_000_000 - n - 1_000_000 * i for i in range(2)])
        raise Unshaped(value)


def _value(value: Any, leaves: list[Any], probe: _Probes | None) -> tuple[Any, Any]:
    """A filter value's shape and (with `probe`) its probed copy."""
    if value is None or type(value) is bool:
        return ("=", value), value
    if type(value) in _PROBED:
        leaves.append(value)
        return ("?", type(value).__name__), (probe(value) if probe else None)
    if isinstance(value, list | tuple | set | frozenset):
        shapes = []
        copies = []
        for item in value:
            shape, made = _value(item, leaves, probe)
            shapes.append(shape)
            copies.append(made)
        return ("list", type(value).__name__, tuple(shapes)), (list(copies) if probe else None)
    if isinstance(value, Subquery):
        shape, made = _query(value.query, leaves, probe)
        return ("subquery", shape), (Subquery(made) if probe else None)
    raise Unshaped(value)


def _q(q: Q, leaves: list[Any], probe: _Probes | None) -> tuple[Any, Any]:
    if type(q) is not Q:
        raise Unshaped(q)
    children = [_q(child, leaves, probe) for child in q.children]
    filters = []
    made_filters = {}
    for key, value in q.filters.items():
        shape, made = _value(value, leaves, probe)
        filters.append((key, shape))
        made_filters[key] = made
    shape = (q.join_type, q._is_negated, tuple(s for s, _ in children), tuple(filters))
    if probe is None:
        return shape, None
    made = Q.__new__(Q)
    made.children = tuple(m for _, m in children)
    made.filters = made_filters
    made.join_type = q.join_type
    made._is_negated = q._is_negated
    return shape, made


def _annotation(value: Any, leaves: list[Any], probe: _Probes | None) -> tuple[Any, Any]:
    if type(value) is RawSQL:
        return ("raw", value.sql), value
    if type(value) is Subquery:
        return _value(value, leaves, probe)
    if (
        isinstance(value, Aggregate)
        and type(value.field) is str
        and not value.default_values
        and value.filter is None
    ):
        return (type(value).__name__, value.field, value.distinct), value
    raise Unshaped(value)


def _query(query: Any, leaves: list[Any], probe: _Probes | None) -> tuple[Any, Any]:
    """A QuerySet's or ValuesQuery's shape and (with `probe`) its probed copy."""
    if type(query) is QuerySet:
        if (
            query._select_related
            or query._select_for_update
            or query._fields_for_select
            or query._having
            or query._filter_kwargs
            or query._force_indexes
            or query._use_indexes
        ):
            raise Unshaped(query)
        selected: Any = None
    elif type(query) is ValuesQuery:
        if query._force_indexes or query._use_indexes:
            raise Unshaped(query)
        selected = tuple(query._fields_for_select.items())
    else:
        raise Unshaped(query)
    qs = [_q(q, leaves, probe) for q in query._q_objects]
    annotations = [(name, _annotation(value, leaves, probe)) for name, value in query._annotations.items()]
    shape = (
        query.model,
        type(query).__name__,
        selected,
        tuple(s for s, _ in qs),
        tuple((name, s) for name, (s, _) in annotations),
        tuple((field, str(order)) for field, order in query._orderings),
        query._limit,
        query._offset,
        query._distinct,
        tuple(query._group_bys),
        query._single,
    )
    if probe is None:
        return shape, None
    made = copy.copy(query)
    made._q_objects = [m for _, m in qs]
    made._annotations = {name: m for name, (_, m) in annotations}
    return shape, made


# How a parameter is made from its value: as is, or as the ORM writes it
# for a lookup (a LIKE pattern: `contains` and the like, escaped by the
# ORM's own function); a batch (`_Leaf`) as a list or a JSON array
# (`_Among`, by dialect). The recipe of a shape holds, per parameter, the
# index of its value and one of these, or (None, the constant itself).
def _as_is(value: Any) -> Any:
    return value


_LIKE: tuple[Callable[[Any], Any], ...] = (
    lambda value: f"%{escape_like(value)}%",
    lambda value: f"{escape_like(value)}%",
    lambda value: f"%{escape_like(value)}",
)
_MADE_FROM: dict[type, tuple[Callable[[Any], Any], ...]] = {
    str: (_as_is, *_LIKE),
    _Leaf: (lambda leaf: list(leaf.value), lambda leaf: orjson.dumps(list(leaf.value)).decode()),
}
_Recipe = tuple[tuple[int | None, Any], ...]


@dataclass(frozen=True)
class Statement:
    sql: str
    recipe: _Recipe

    def parameters(self, leaves: Sequence[Any]) -> list[Any]:
        return [how if at is None else how(leaves[at]) for at, how in self.recipe]


_UNSHAPED = object()
_cache: dict[Any, Any] = {}
# How often each outcome happened (tests and benches read it).
counts = {"hit": 0, "miss": 0, "unshaped": 0}


def _source(param: Any, probes: Sequence[Any]) -> tuple[int | None, Any]:
    """Which probe `param` was made from and how; (None, param) for none."""
    for at, probe in enumerate(probes):
        for make in _MADE_FROM.get(type(probe), (_as_is,)):
            made = make(probe)
            if type(made) is type(param) and made == param:
                return at, make
    return None, param


def _recipe(params: Sequence[Any], probes: Sequence[Any]) -> _Recipe | None:
    """Each parameter's source among the probes, or None when a probe
    shows up nowhere (the ORM converted or inlined it)."""
    recipe = tuple(_source(param, probes) for param in params)
    found = {at for at, _ in recipe if at is not None}
    return recipe if len(found) == len(probes) else None


def statement(
    query: QuerySet,
    key: Any,
    build: Callable[[QuerySet, Any], tuple[str, list[Any]]],
    extra_leaf: Sequence[Any] | None = None,
) -> tuple[str, list[Any]]:
    """The text and parameters of `build(query, leaf)`, from the cache when
    `query`'s shape (with the caller's `key`: what else `build` reads) was
    seen before. `extra_leaf`: values `build` binds as ONE parameter (a
    loader's batch), passed to it as its second argument."""
    leaves: list[Any] = []
    try:
        shape, _ = _query(query, leaves, None)
    except Unshaped:
        counts["unshaped"] += 1
        return build(query, extra_leaf)
    if extra_leaf is not None:
        leaves.append(_Leaf(extra_leaf))
    full_key = (key, shape, extra_leaf is not None)
    found = _cache.get(full_key)
    if found is _UNSHAPED:
        counts["unshaped"] += 1
        return build(query, extra_leaf)
    if found is not None:
        counts["hit"] += 1
        return found.sql, found.parameters(leaves)
    counts["miss"] += 1
    sql, params = build(query, extra_leaf)
    if len(_cache) >= MAX_SHAPES:
        _cache.clear()
    _cache[full_key] = _learn(query, sql, params, leaves, build, extra_leaf)
    return sql, params


def _learn(
    query: QuerySet,
    sql: str,
    params: list[Any],
    leaves: list[Any],
    build: Callable[[QuerySet, Any], tuple[str, list[Any]]],
    extra_leaf: Sequence[Any] | None,
) -> Any:
    """The Statement of `query`'s shape, learnt from a probe build (see the
    module's note), or _UNSHAPED."""
    probe = _Probes()
    try:
        probe_leaves: list[Any] = []
        _, probed = _query(query, probe_leaves, probe)
    except Unshaped:
        return _UNSHAPED
    # The probed copy's values were made by the walk; take them from it
    # again, in the same order, to match its parameters.
    probes = []
    _query(probed, probes, None)
    if extra_leaf is not None:
        probes.append(probe(_Leaf(extra_leaf)))
    try:
        probe_sql, probe_params = build(probed, probes[-1].value if extra_leaf is not None else None)
    except Exception:  # a probe the ORM refuses (a choice not among a field's, ...)
        return _UNSHAPED
    if probe_sql != sql:
        return _UNSHAPED
    recipe = _recipe(probe_params, probes)
    if recipe is None:
        return _UNSHAPED
    made = Statement(sql, recipe)
    if made.parameters(leaves) != params:
        return _UNSHAPED
    return made


def clear() -> None:
    """Forget every shape (tests)."""
    _cache.clear()
    for name in counts:
        counts[name] = 0
