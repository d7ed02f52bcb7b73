"""Row plans compiled to Python functions: how schema/lean_rows.py runs a
plan over a row (a board's card, a list's node) without interpreting it.

House rule (STYLE.md, "hot read paths"): a compiled plan (lean_plans.py)
run from a row — 400 cards a board, 50 nodes a page — is not looped over
step by step. The first time a plan runs from a row, `row_function(plan)`
writes one Python function for it, the plan's steps unrolled in their
order, and keeps it with the plan (`Plan.run_row`), so it lives as long as
the plan does (across requests, lean_plans' `PlanCache`). What a step's
tuple held (its kind, key, the shown record's check, whether it is
shared, whether a null is allowed) is decided when the function is
written; what the function does per row is only what the step does:

- a leaf computed from the row (`fields_from_row`) is computed, kept as
  it is (a str of a String/ID), as null (a nullable field) or coerced, and
  stored under its key;
- an edge over the page's preload (a card's owner and contact, a
  contact's tags) is answered by its bound answer, the row as its
  object's `row` (`RowSource`), or from the record the row carries
  (`shown_from_row`), and its record completed by its plan (a carried
  record's by the record plan's own function), a shared one once per
  request (lean_plans' `_shared_results`);
- anything else — a resolver, an async field, a value that does not
  coerce, an exception — goes, at that step, to the same executor call
  `run_plan` would make (`_execute_field`, `_run_resolved`), over the
  object `make(row)` made then, once per row; errors, paths, null
  bubbling, masking and the delivered cost are the executor's, as before.

Each step's code is written by the function for its kind below (`_leaf`,
`_preload`, `_over_object`), its own constants named by its index (`S3`,
the step; `F3`, its row's maker...) in the function's globals;
`source_of(plan)` gives a plan's function as text. The
answers are the general path's, field by field (tests/graph/test_page_rows.py,
which also reads the generated text of a board's plans)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from graphql.pyutils import Undefined
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from revgraph.schema import lean_plans as plans
from revgraph.schema.lean_plans import (
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

# What a row function does with a step (`_row_op`), beside lean_plans'
# OP_LEAF (here: computed from the row), OP_TYPENAME and OP_PRELOAD
# (answered with the row as its object's `row`):
ROW_RESOLVED = 10  # over the made object, by _run_resolved
ROW_EXECUTED = 11  # over the made object, by graphql-core

_ABSENT = object()


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


def row_plan(plan: Plan) -> tuple[tuple[Any, ...], Any, bool]:
    """The plan's steps as its row function runs them, its RowSource, and
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


def from_carried(executor: Any, step: Step, make: Callable[[Any], Any], carried: Any) -> bool:
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
            and row_plan(plan)[2]
            and type(probe) is completion.origin
            and columns.get("row") is carried
            and TYPE_CAST_ATTRIBUTE not in columns
        )
    return known


RowFunction = Callable[[Any, Any, Any, Callable[[Any], Any]], Any]


def row_function(plan: Plan) -> RowFunction:
    """`run(executor, row, position, make)`: the result dict (or an
    awaitable of it) of the object `make(row)` would be, run from its row
    (see the module's note); written once per plan."""
    run = plan.run_row
    if run is None:
        text, names = _generate(plan)
        namespace = dict(_NAMES, **names)
        exec(compile(text, f"<row plan of {plan.type_name}>", "exec"), namespace)
        run = plan.run_row = namespace["run_row"]
    return run


def source_of(plan: Plan) -> str:
    """The text of the plan's row function."""
    return _generate(plan)[0]


# What every row function reads besides its steps' own constants.
_NAMES = {
    "_ABSENT": _ABSENT,
    "NOT_PRELOADED": NOT_PRELOADED,
    "TYPE_CAST_ATTRIBUTE": TYPE_CAST_ATTRIBUTE,
    "UNBUILT": plans.UNBUILT,
    "Undefined": Undefined,
    "from_carried": from_carried,
    "real_path": real_path,
    "row_function": lambda plan: row_function(plan),  # this module's, as patched (tests count runs)
    "settle_fields": plans.settle_fields,
}


class _Writer:
    """Lines of Python at the current indentation: `with w.block(header):`."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, *lines: str) -> None:
        self.lines.extend("    " * self.depth + line for line in lines)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self(header)
        self.depth += 1
        yield
        self.depth -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _generate(plan: Plan) -> tuple[str, dict[str, Any]]:
    """The text of the plan's row function and the constants it reads:
    run_plan's loop (lean_plans.py) unrolled, step by step."""
    ops, source, _ = row_plan(plan)
    names: dict[str, Any] = {
        "TYPE": plan.type,
        "SOURCE": source,
        # what a step that raises takes back from the delivered cost: the fields after it
        "AFTER": tuple(plans.counted_after(plan, step) for _, _, step, _, _ in ops),
    }
    w = _Writer()
    with w.block("def run_row(executor, row, position, make):"):
        w("delivery = executor.delivery")
        with w.block("if delivery is not None:"):
            w(f"delivery.fields += {plan.counted}")
        w("settled = executor.settled", "results = {}", "awaitable_fields = None", "made = None", "at = 0")
        with w.block("try:"):
            for index, op in enumerate(ops):
                kind, key, step, first, second = op
                names[f"S{index}"] = step
                w(f"# {key}", f"at = {index}")
                if kind == OP_TYPENAME:
                    w(f"results[{key!r}] = {plan.type_name!r}")
                elif kind == OP_LEAF:
                    names[f"F{index}"], names[f"C{index}"] = step.from_row, step.coerce
                    _leaf(w, index, step)
                elif kind == OP_PRELOAD:
                    names[f"P{index}"] = step.completion
                    if first is not None:
                        names[f"SHOWS{index}"], names[f"MAKE{index}"] = first[0], first[1]
                    _preload(w, index, step, plan.type_name, first, second)
                else:
                    _over_object(w, index, "_run_resolved" if kind == ROW_RESOLVED else "_execute_field")
                    _store(w, key)
        with w.block("except Exception:"):
            with w.block("if delivery is not None:  # as graphql-core: the fields after it never ran"):
                w("delivery.fields -= AFTER[at]")
            with w.block("if awaitable_fields:"):
                w("executor.settle_in_background([results[field] for field in awaitable_fields])")
            w("raise")
        with w.block("if not awaitable_fields:"):
            w("return results")
        w("return settle_fields(results, awaitable_fields)")
    return w.text(), names


def _store(w: _Writer, key: str) -> None:
    """A step's result stored as run_plan stores it (awaited later if awaitable)."""
    with w.block("if result is not Undefined:"):
        w(f"results[{key!r}] = result")
        with w.block("if type(result) not in settled and executor.awaitable(result):"):
            with w.block("if awaitable_fields is None:"):
                w("awaitable_fields = []")
            w(f"awaitable_fields.append({key!r})")


def _over_object(w: _Writer, index: int, call: str, value: str = "") -> None:
    """A step left to the executor, over the object (made once a row)."""
    with w.block("if made is None:"):
        w("made = make(row)")
    w(f"result = executor.{call}(TYPE, made, S{index}, position{value})")


def _leaf(w: _Writer, index: int, step: Step) -> None:
    """A leaf computed from the row, as the object's FromRow would; anything
    unusual (a null in a non-null field, a value that does not coerce, an
    exception) is reported by graphql-core over the object."""
    key = repr(step.key)
    with w.block("try:"):
        w(f"value = F{index}(row)")
        test = "if"
        if step.str_as_is:
            with w.block("if type(value) is str:"):
                w(f"results[{key}] = value", "answered = True")
            test = "elif"
        with w.block(f"{test} value is None:"):
            if step.non_null:
                w("answered = False")
            else:
                w(f"results[{key}] = None", "answered = True")
        with w.block(
            f"elif not isinstance(value, Exception) and (coerced := C{index}(value)) is not None"
            " and coerced is not Undefined:"
        ):
            w(f"results[{key}] = coerced", "answered = True")
        with w.block("else:"):
            w("answered = False")
    with w.block("except Exception:"):
        w("answered = False")
    with w.block("if not answered:"):
        _over_object(w, index, "_execute_field")
        _store(w, step.key)


def _preload(w: _Writer, index: int, step: Step, type_name: str, first: Any, shared: bool) -> None:
    """An edge over the page's preload, its value completed as _run_resolved
    would: its record by the record's plan (a carried record's by that
    plan's row function), a shared record once per request."""
    key, s = repr(step.key), f"S{index}"
    if first is None:
        w(
            "carried = _ABSENT",
            "SOURCE.row = row",
            f"value = (executor._bound.get({s}) or executor._preloaded({s}))(SOURCE)",
        )
    else:  # a record the row carries, shown from its own row (`shown_from_row`)
        w(f"carried = row.__dict__.get({first[2]!r}, _ABSENT)")
        with w.block("if carried is not None and carried is not _ABSENT:"):
            with w.block("try:"):
                with w.block(f"if not SHOWS{index}(carried):"):
                    w("carried = None")
                with w.block(
                    f"elif not ({s}.from_rows or from_carried(executor, {s}, MAKE{index}, carried)):"
                ):
                    w("carried = _ABSENT")
            with w.block("except Exception:  # the resolver, over the object, reports it"):
                w("carried = _ABSENT")
        with w.block("if carried is _ABSENT:"):
            w("SOURCE.row = row", f"value = (executor._bound.get({s}) or executor._preloaded({s}))(SOURCE)")
        with w.block("else:"):
            w("value = carried")
    with w.block("if value is NOT_PRELOADED:  # the resolver answers, over the object"):
        _over_object(w, index, "_run_resolved", ", value")
        _store(w, step.key)
    with w.block("elif value is None:"):
        if step.completion.non_null:
            w(f"result = executor._run_resolved(TYPE, None, {s}, position, value)")
            _store(w, step.key)
        else:
            w(f"results[{key}] = None")
    if step.strings:  # a list of strs for a list of String/ID (tags) is its own completion
        with w.block("elif type(value) is list:"):
            with w.block("for item in value:"):
                with w.block("if type(item) is not str:"):
                    w(f"result = executor._run_resolved(TYPE, None, {s}, position, value)")
                    _store(w, step.key)
                    w("break")
            with w.block("else:"):
                w(f"results[{key}] = value")
    with w.block("else:"):
        test = "if"
        if shared:  # completed at another position: reused, its fields charged again
            w(f"shared_key = ({s}, id(value))", "kept = executor._shared_results.get(shared_key)")
            with w.block("if kept is not None and kept[0] is value:"):
                with w.block("if delivery is not None:"):
                    w("delivery.fields += kept[2]")
                w(f"results[{key}] = kept[1]")
            test = "elif"
        p = f"P{index}"
        plain = (
            f"type(value) is {p}.origin and type(value) in settled and {p}.plan is not None"
            f" and {p}.plan is not UNBUILT and TYPE_CAST_ATTRIBUTE not in value.__dict__"
        )
        condition = plain if first is None else f"carried is not _ABSENT or ({plain})"
        with w.block(f"{test} {condition}:  # the common case of _run_resolved, in one call less"):
            w(f"field_position = (position, {key}, {type_name!r})")
            if shared:
                w("collected = executor.collected_errors.errors  # (a property: read once)")
                w("errors = len(collected)", "delivered = delivery.fields if delivery is not None else 0")
            with w.block("try:"):
                w(f"nested = {p}.plan")
                if first is None:
                    w("result = executor.run_plan(nested, value, field_position)")
                else:
                    with w.block("if carried is _ABSENT:"):
                        w("result = executor.run_plan(nested, value, field_position)")
                    with w.block("else:  # its plan's row function over the carried row"):
                        w(
                            f"result = (nested.run_row or row_function(nested))(executor, value, field_position, MAKE{index})"
                        )
                with w.block("if type(result) is not dict:"):
                    w(f"result = executor._await_completed(result, {s}.field_def.type, {s}, field_position)")
                if shared:
                    with w.block("elif len(collected) == errors:"):
                        w("fields = delivery.fields - delivered if delivery is not None else 0")
                        w("executor._shared_results[shared_key] = (value, result, fields)")
            with w.block("except Exception as raw_error:"):
                w(
                    f"executor.handle_field_error(raw_error, {s}.field_def.type, {s}.field_details,"
                    " real_path(field_position))"
                )
                w("result = None")
            _store(w, step.key)
        with w.block("else:"):
            w(f"result = executor._run_resolved(TYPE, None, {s}, position, value)")
            _store(w, step.key)
