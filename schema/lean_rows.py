"""Pages answered straight from their rows: the part of the compiled plans
(schema/lean_plans.py, whose executor calls the functions here) that
completes a page's edges without making an Edge or a node object per row.

House rule (STYLE.md, "hot read paths"), for every list and board: a
connection's edges are a `PageEdges` (schema/connections.py `build`), the
page's rows with their lazy cursors and the page's `wrap` (`Deal.of`). To
anything that reads them — graphql-core's own execution, a use case, a test
— they are the list of `Edge(cursor, node=wrap(row))` they always were,
made on first read. A compiled plan does not read them so: an edge whose
selection is only `cursor`, `node` and `__typename` is completed here from
its row, and the node, an object of a row-made type (`fields_from_row`,
schema/lean_execution.py) that `wrap` makes from the row alone, by its plan
run over the row itself (`run_row_plan`):

- a leaf the type computes from its row is computed from the row, as the
  object's `FromRow` would;
- an edge over the page's preload (a card's owner and contact, a
  contact's tags) is answered by the same bound answer, handed the row as
  its object's `row` (`RowSource`: the keys read `row.<column>`; anything
  else it reads raises, and the object answers); a list of strs answered
  for a list of String/ID (tags) is its own completion;
- any other step (a resolver, an async field, an error to report) is run
  by the plans' usual path over `wrap(row)`, made then, once per row.

A page that shows its cursors has them encoded in one call (`Cursors.every`).
So a board's 400 cards cost no Edge, no Deal and no per-card `build` loop:
the rows go from the statement to the result dicts. The answers are the
general path's, field by field (tests/graph/test_page_rows.py). A record
shown at several places whose edge is shared (`Preload(shared=True)`: a
board's owners, a contact with several deals) is completed once per
request and its result reused, as lean_plans.py's `_shared_results` say."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from graphql.pyutils import Undefined
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from revgraph.schema import lean_plans as plans
from revgraph.schema.lean_plans import (
    C_OBJECT,
    NOT_PRELOADED,
    OP_LEAF,
    OP_OBJECT,
    OP_PRELOAD,
    OP_RESOLVED,
    OP_TYPENAME,
    Plan,
    Step,
    real_path,
)


class PageEdges(Sequence[Any]):
    """A page's edges (see the module's note): `edge_type(cursor, node=wrap(row))`
    per row, made when first read; a compiled plan completes them from `rows`."""

    __slots__ = ("_made", "cursors", "edge_type", "rows", "wrap")

    def __init__(
        self, edge_type: Any, rows: Sequence[Any], cursors: Sequence[str], wrap: Callable[[Any], Any]
    ):
        self.edge_type = edge_type
        self.rows = rows
        self.cursors = cursors
        self.wrap = wrap
        self._made: list[Any] | None = None

    def edges(self) -> list[Any]:
        """The Edge objects, made once (each cursor encoded when read, `Edge.cursor`)."""
        made = self._made
        if made is None:
            new, edge_type, cursors, wrap = self.edge_type.__new__, self.edge_type, self.cursors, self.wrap
            made = []
            for at, row in enumerate(self.rows):
                edge = new(edge_type)
                columns = edge.__dict__
                columns["node"] = wrap(row)
                columns["cursors"] = cursors
                columns["at"] = at
                made.append(edge)
            self._made = made
        return made

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        return self.edges()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.edges())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PageEdges | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as a list

    def __repr__(self) -> str:
        return f"PageEdges({self.edges()!r})"


# What run_row_plan does with a step (Plan.rows), beside lean_plans' OP_LEAF
# (here: computed from the row), OP_TYPENAME and OP_PRELOAD (answered with
# the row as its object's `row`):
ROW_RESOLVED = 10  # over the made object, by _run_resolved
ROW_EXECUTED = 11  # over the made object, by graphql-core


def _row_op(op: tuple[int, str, Step, Any, Any]) -> tuple[int, str, Step, Any, Any]:
    kind, key, step, _, second = op
    if kind == OP_LEAF:
        return op if step.from_row is not None else (ROW_EXECUTED, key, step, None, None)
    if kind == OP_PRELOAD:
        preload = step.preload
        shown = getattr(preload.then, "from_row", None)
        if shown is not None and preload.carried is not None and not preload.with_ctx:
            return (kind, key, step, (*shown, preload.carried), second)
        return (kind, key, step, None, second)
    if kind == OP_TYPENAME:
        return op
    if kind == OP_RESOLVED and step.preload is not None:  # over the preload too (a contact's tags)
        return _row_op((OP_PRELOAD, key, step, None, step.shares))
    if kind in (OP_OBJECT, OP_RESOLVED):
        return (ROW_RESOLVED, key, step, None, None)
    return (ROW_EXECUTED, key, step, None, None)


class RowSource:
    """A row seen as its row-made object by a preload's bound answer: only
    `row` (and, None, the attributes that say an object carries a context
    of its own, `Preload.own_context`); reading anything else raises, and
    the answer then leaves the step to the made object."""

    __slots__ = ("row",)


def shown_from_row(shows: Callable[[Any], bool], make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Mark a `Preload`'s `then` as `make(record) if shows(record) else
    None`, `make` a row-made type's maker (`Contact.of`): a row plan then
    answers a record its row carries (`Preload(joined=...)`) straight from
    that record's row, by its own plan run over it, without the object
    (a board's contact). `then` itself is what everything else calls."""

    def mark(then: Callable[[Any], Any]) -> Callable[[Any], Any]:
        then.from_row = (shows, make)  # type: ignore[attr-defined]
        return then

    return mark


def _from_carried(executor: Any, step: Step, make: Callable[[Any], Any], carried: Any) -> bool:
    """Whether the step's records may be completed from their carried rows:
    its object's plan runs from rows and `make` keeps the row (checked once
    per step, on the first record)."""
    known = step.from_rows
    if known is None:
        completion = step.completion
        plan = completion.plan
        if plan is plans.UNBUILT:
            plan = completion.plan = executor.plan_for(completion.named, step.field_details)
        probe = make(carried)
        columns = getattr(probe, "__dict__", None) or {}
        known = step.from_rows = (
            plan is not None
            and _row_plan(plan)[2]
            and type(probe) is completion.origin
            and columns.get("row") is carried
            and TYPE_CAST_ATTRIBUTE not in columns
        )
    return known


_ABSENT = object()


def _row_plan(plan: Plan) -> tuple[tuple[Any, ...], Any, bool]:
    """The plan's steps as run_row_plan loops over them, its RowSource, and
    whether every leaf it shows is computed from the row (a type made by
    `fields_from_row`; any other type's pages keep their objects)."""
    rows = plan.rows
    if rows is None:
        own = {}
        for _, _, step, _, _ in plan.ops:
            preload = getattr(step, "preload", None)
            if preload is not None and preload.own_context:
                own[preload.own_context] = None
        source_type = type("RowSource", (RowSource,), {"__slots__": (), **own})
        ops = tuple(_row_op(op) for op in plan.ops)
        from_row = all(op[0] != OP_LEAF or op[2].from_row is not None for op in plan.ops)
        rows = plan.rows = (ops, source_type(), from_row)
    return rows


def run_row_plan(executor: Any, plan: Plan, row: Any, position: Any, make: Callable[[Any], Any]) -> Any:
    """The result dict of the object `make(row)` would be, run from its row
    (see the module's note): lean_plans' `run_plan` over that object, step
    for step, without making it unless a step needs it."""
    ops, source, _ = plan.rows or _row_plan(plan)
    delivery = executor.delivery
    if delivery is not None:
        delivery.fields += plan.counted
    object_type = plan.type
    type_name = plan.type_name
    results: dict[str, Any] = {}
    settled = executor.settled
    awaitable_fields: list[str] | None = None
    made = None
    step = None
    try:
        for op, key, step, first, second in ops:
            if op == OP_LEAF:
                try:  # as run_plan's leaf, computed from the row as FromRow would
                    value = step.from_row(row)
                    if type(value) is str and step.str_as_is:
                        results[key] = value
                        continue
                    if value is None:
                        if not step.non_null:
                            results[key] = None
                            continue
                    elif not isinstance(value, Exception):
                        coerced = step.coerce(value)
                        if coerced is not None and coerced is not Undefined:
                            results[key] = coerced
                            continue
                except Exception:  # graphql-core reports it over the object, below
                    pass
                if made is None:
                    made = make(row)
                result = executor._execute_field(object_type, made, step, position)
            elif op == OP_TYPENAME:
                results[key] = type_name
                continue
            elif op == OP_PRELOAD:
                carried = _ABSENT
                if first is not None:  # a record the row carries, shown from its row (`shown_from_row`)
                    carried = row.__dict__.get(first[2], _ABSENT)
                    if carried is not None and carried is not _ABSENT:
                        try:
                            if not first[0](carried):
                                carried = None
                            elif not (step.from_rows or _from_carried(executor, step, first[1], carried)):
                                carried = _ABSENT
                        except Exception:  # the resolver, over the object, reports it
                            carried = _ABSENT
                if carried is _ABSENT:
                    source.row = row
                    value = (executor._bound.get(step) or executor._preloaded(step))(source)
                else:
                    value = carried
                if value is NOT_PRELOADED:  # the resolver answers, over the object
                    if made is None:
                        made = make(row)
                    result = executor._run_resolved(object_type, made, step, position, value)
                elif value is None:
                    if not step.completion.non_null:
                        results[key] = None
                        continue
                    result = executor._run_resolved(object_type, None, step, position, value)
                elif type(value) is list and step.strings:  # strings, as _complete_list takes them
                    for item in value:
                        if type(item) is not str:
                            result = executor._run_resolved(object_type, None, step, position, value)
                            break
                    else:
                        results[key] = value
                        continue
                else:
                    completion = step.completion
                    nested = completion.plan
                    if second:  # shared: completed once per record (lean_plans `_shared_results`)
                        shared_key = (step, id(value))
                        kept = executor._shared_results.get(shared_key)
                        if kept is not None and kept[0] is value:  # completed at another position
                            if delivery is not None:
                                delivery.fields += kept[2]
                            results[key] = kept[1]
                            continue
                    if carried is not _ABSENT or (
                        type(value) is completion.origin
                        and type(value) in settled
                        and nested is not None
                        and nested is not plans.UNBUILT
                        and TYPE_CAST_ATTRIBUTE not in value.__dict__
                    ):  # the common case of _run_resolved, in one call less
                        field_position = (position, key, type_name)
                        if second:  # (a property: read once)
                            collected = executor.collected_errors.errors
                            errors = len(collected)
                        delivered = delivery.fields if delivery is not None else 0
                        try:
                            if carried is _ABSENT:
                                result = executor.run_plan(nested, value, field_position)
                            else:  # its plan run over the carried row
                                result = run_row_plan(executor, nested, value, field_position, first[1])
                            if type(result) is not dict:
                                result = executor._await_completed(
                                    result, step.field_def.type, step, field_position
                                )
                            elif second and len(collected) == errors:
                                fields = delivery.fields - delivered if delivery is not None else 0
                                executor._shared_results[shared_key] = (value, result, fields)
                        except Exception as raw_error:
                            executor.handle_field_error(
                                raw_error, step.field_def.type, step.field_details, real_path(field_position)
                            )
                            result = None
                    else:
                        result = executor._run_resolved(object_type, None, step, position, value)
            else:
                if made is None:
                    made = make(row)
                if op == ROW_RESOLVED:
                    result = executor._run_resolved(object_type, made, step, position)
                else:
                    result = executor._execute_field(object_type, made, step, position)
            if result is not Undefined:
                results[key] = result
                if type(result) not in settled and executor.awaitable(result):
                    if awaitable_fields is None:
                        awaitable_fields = []
                    awaitable_fields.append(key)
    except Exception:
        if delivery is not None:  # as graphql-core: the fields after it never ran
            delivery.fields -= plans.counted_after(plan, step)
        if awaitable_fields:
            executor.settle_in_background([results[field] for field in awaitable_fields])
        raise
    if not awaitable_fields:
        return results
    return plans.settle_fields(results, awaitable_fields)


# An edge's steps run from its row (PageEdges): its node, its cursor, __typename.
_NODE, _CURSOR, _TYPENAME = range(3)


def _edge_shape(plan: Plan) -> tuple[tuple[int, str, Step], ...] | None:
    """How complete_page makes an edge of this plan from its row; None when
    its selection has anything else (then the Edge objects are completed)."""
    shape = plan.page
    if shape is plans.UNBUILT:
        shape = []
        for op, key, step, first, _ in plan.ops:
            if op == OP_TYPENAME:
                shape.append((_TYPENAME, key, step))
            elif op == OP_OBJECT and first == "node" and step.completion.kind == C_OBJECT:
                shape.append((_NODE, key, step))
            elif op == OP_LEAF and first == "cursor" and step.str_as_is and step.from_row is None:
                shape.append((_CURSOR, key, step))
            else:
                shape = None
                break
        plan.page = shape = None if shape is None else tuple(shape)
    return shape


def _node_plan(executor: Any, step: Step, edges: PageEdges) -> Plan | None:
    """The node's plan, when the page's nodes may be run from their rows:
    `wrap` makes an object of the node type's own class that keeps the row
    as its `row` (checked on the first row: a row-made object)."""
    completion = step.completion
    plan = completion.plan
    if plan is plans.UNBUILT:
        plan = completion.plan = executor.plan_for(completion.named, step.field_details)
    if plan is None or completion.origin is None or not _row_plan(plan)[2]:
        return None
    first = edges.rows[0]
    probe = edges.wrap(first)
    columns = getattr(probe, "__dict__", None)
    if type(probe) is not completion.origin or columns is None or columns.get("row") is not first:
        return None
    if TYPE_CAST_ATTRIBUTE in columns or (type(probe) not in executor.settled and executor.awaitable(probe)):
        return None
    return plan


def complete_page(
    executor: Any,
    completion: Any,
    edges: PageEdges,
    object_type: Any,
    step: Step,
    field_position: Any,
    position: Any,
) -> Any:
    """The edges of a page completed from its rows (see the module's note);
    mirrors lean_plans' `_complete_list` over the Edge objects, which
    completes them when the edge's selection or its node is not plain."""
    item = completion.inner
    edge_plan = item.plan
    # Any object with a `cursor` and a `node` is an edge to an edge type
    # without is_type_of (strawberry's specialised Edge[T] is another class).
    plain_edge = item.kind == C_OBJECT and item.is_type_of is None
    if edge_plan is plans.UNBUILT and plain_edge:
        edge_plan = item.plan = executor.plan_for(item.named, step.field_details)
    shape = None
    if plain_edge and edges.rows and edge_plan is not None and edge_plan is not plans.UNBUILT:
        shape = _edge_shape(edge_plan)
    node_step = None if shape is None else next((s for kind, _, s in shape if kind == _NODE), None)
    node_plan = None if node_step is None else _node_plan(executor, node_step, edges)
    if node_plan is None:
        return executor._complete_list(completion, edges.edges(), object_type, step, field_position, position)
    return edges_from_rows(executor, edges, item, edge_plan, shape, node_step, node_plan, step, position)


def edges_from_rows(
    executor: Any,
    edges: PageEdges,
    item: Any,
    edge_plan: Plan,
    shape: tuple[tuple[int, str, Step], ...],
    node_step: Step,
    node_plan: Plan,
    step: Step,
    position: Any,
) -> Any:
    """complete_page's loop: each edge's result dict made from its row."""
    delivery = executor.delivery
    counted = edge_plan.counted
    type_name = edge_plan.type_name
    node_type = node_step.field_def.type
    cursors, wrap = edges.cursors, edges.wrap
    every = getattr(cursors, "every", None)
    if every is not None and any(kind == _CURSOR for kind, _, _ in shape):
        try:  # all at once; one that fails is reported below, at its edge
            cursors = every()
        except Exception:
            pass
    completed_results: list[Any] = []
    append = completed_results.append
    awaitable_indices: list[int] = []
    index = 0
    try:
        for index, row in enumerate(edges.rows):
            item_position = (position, index, None)
            edge_step = None
            try:
                if delivery is not None:
                    delivery.fields += counted
                result: dict[str, Any] = {}
                pending = None
                for kind, key, edge_step in shape:
                    if kind == _NODE:
                        node_position = (item_position, key, type_name)
                        try:
                            value = run_row_plan(executor, node_plan, row, node_position, wrap)
                            if type(value) is not dict:
                                value = executor._await_completed(value, node_type, node_step, node_position)
                                pending = key
                        except Exception as raw_error:
                            executor.handle_field_error(
                                raw_error, node_type, node_step.field_details, real_path(node_position)
                            )
                            value = None
                        result[key] = value
                    elif kind == _CURSOR:
                        try:
                            cursor = cursors[index]
                            if type(cursor) is not str:
                                cursor = edge_step.leaf.coerce_output_value(cursor)
                        except Exception as raw_error:  # where graphql-core would report it
                            executor.handle_field_error(
                                raw_error,
                                edge_step.field_def.type,
                                edge_step.field_details,
                                real_path((item_position, key, type_name)),
                            )
                            cursor = None
                        result[key] = cursor
                    else:
                        result[key] = type_name
                if pending is not None:
                    append(plans.settle_fields(result, [pending]))
                    awaitable_indices.append(index)
                else:
                    append(result)
            except Exception as raw_error:
                if delivery is not None:  # as run_plan: the edge's fields after it never ran
                    delivery.fields -= plans.counted_after(edge_plan, edge_step)
                executor.handle_field_error(
                    raw_error, item.type, step.field_details, real_path(item_position)
                )
                append(None)
    except Exception:
        pending_results = [completed_results[i] for i in awaitable_indices]
        if pending_results:
            executor.settle_in_background(pending_results)
        raise
    if not awaitable_indices:
        return completed_results
    return plans.settle_items(completed_results, awaitable_indices)
