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
run over the row itself — by the plan's row function, one Python function
written once per plan with its steps unrolled (schema/lean_row_plans.py):

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

from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from revgraph.schema import lean_plans as plans
from revgraph.schema import lean_row_plans as row_functions
from revgraph.schema.lean_plans import (
    C_OBJECT,
    OP_LEAF,
    OP_OBJECT,
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
    if plan is None or completion.origin is None or not row_functions.row_plan(plan)[2]:
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
    run_node = node_plan.run_row or row_functions.row_function(node_plan)
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
                            value = run_node(executor, row, node_position, wrap)
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
