"""Compiled execution plans: how LeanExecutionContext (schema/lean_execution.py,
which owns this module) completes the objects of a list without
graphql-core's per-field machinery.

House rule (STYLE.md, "hot read paths"): the first time an execution
completes an object of type T for a group of field nodes, it compiles the
selection once — graphql-core's own `collect_subfields` (fragments, type
conditions, aliases, @skip/@include with this request's variables, field
order) — into a `Plan`: one `Step` per response key. Every further object
of that (T, field nodes) — the 50 contacts of a page, the 400 cards of a
board — is completed by running the steps over it, producing the result
dict directly:

- a plain leaf (`plain_fields`: read off the object, no resolver,
  permission, extension or arguments) is read and coerced in the loop (an
  enum's name kept per member, `output_of`); one
  that a row-made object computes from its row (`fields_from_row`) is
  computed from the row by the step itself, as the object's `FromRow`
  would, without a descriptor call or keeping it on the object (the plan
  reads it once);
- `__typename` is the type's name;
- an object or list field read off the object, or a thin synchronous
  argument-free resolver (`thin_resolvers`), is resolved and its value
  completed by the same rules, nested objects by their own plans. Paths
  are plain tuples until something needs a real `Path`; a resolver that
  takes `info` gets one whose path is made when read;
- anything else (arguments, async resolvers, abstract types, directives
  other than @skip/@include, @defer) is executed by graphql-core itself,
  field by field, with its real path.

The page loop (`_complete_list`): the items of a list are completed in the
loop itself when they are what a page holds — objects of the item type's
own class (a page's edges, a board column's cards) run the item plan
directly, strings of a String/ID list are taken as they are — and any
other item (a null, another type, a cast object, an awaitable) takes the
per-value completion below, as before. A preloaded edge (a `Preload`,
schema/lean_execution.py) is answered by the execution's bound loader
instead of its resolver; a shared one (`Preload(shared=True)`: a page's
owners, 20 of them over a board's 400 cards) is completed once per step and
record, and its result dict reused at every position that shows it — only
when that completion was synchronous and raised or reported nothing, and
with its fields charged again on each reuse (`_shared_results`). Every list
reuses all three; nothing is per type. Inside an object, `run_plan`
loops over the plan's `ops` (one tuple per step with what its hot case
reads) and completes an object read off the source (an edge's node) or
answered over the preload (a card's contact) by that object's plan in the
loop itself, without a `_run_resolved` call: one call less per such field
(bench/READS.md, i15-lean). A page's edges (`PageEdges`, what
schema/connections.py `build` makes) are completed from the page's rows
by schema/lean_rows.py: no Edge and, for a type made by `fields_from_row`
(deals, contacts, companies), no node object per row; a plan run from a
row runs as one function written for it (schema/lean_row_plans.py).

Anything unusual — a null in a non-null field, a value that does not
coerce, an exception or an exception value, an awaitable where a value was
expected, an object whose `is_type_of` says no — goes to graphql-core at
that exact position with the value already resolved (a resolver is never
called twice), so errors, paths, null bubbling and masking are graphql-core's.
Each step mirrors the graphql-core code it replaces (`execute_fields`,
`execute_field`, `complete_value`, `complete_iterable_value`), error
handling included. Plans count the fields they deliver into the request's
delivered cost (schema/demand.py).

Plans outlive the request (`PlanCache`): a plan depends only on the schema,
the operation's field nodes (the same objects for every request whose
document comes from the parser cache, schema/extensions.py) and the values
of the variables its directives read (@skip/@include), so it is kept per
schema, operation and those values, in a bounded LRU, and a repeated
request builds none. What is the request's own — the context, root value
and variables a thin resolver's info carries — is never in a plan: each
execution binds it (`_infos`). A document with @defer/@stream or fragment
arguments (whose field details are the execution's own) keeps its plans
for one execution, as before."""

from __future__ import annotations

from collections import Counter, OrderedDict
from enum import Enum
from types import GeneratorType
from typing import Any

from graphql import (
    DirectiveNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    Node,
    VariableNode,
)
from graphql.execution.executor import collect_iterator_awaitables
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

# What a preloaded edge answers when its record was not loaded ahead
# (schema/lean_execution.py `Preload`, whose module owns this one).
NOT_PRELOADED = object()

# Step kinds.
LEAF, TYPENAME, RESOLVED, EXECUTED = range(4)
# Completion kinds.
C_LEAF, C_LIST, C_OBJECT, C_GENERAL = range(4)
# Directives a plan understands: collect_subfields has applied them.
PLAIN_DIRECTIVES = frozenset(("skip", "include"))
GENERATED_IS_TYPE_OF = "strawberry.schema.schema_converter"


def _never_preloaded(source: Any) -> Any:
    return NOT_PRELOADED


class Completion:
    """How a resolved value of one GraphQL type is completed."""

    __slots__ = (
        "coerce",
        "inner",
        "is_type_of",
        "kind",
        "leaf",
        "named",
        "non_null",
        "origin",
        "plan",
        "type",
    )

    def __init__(self, kind: int, type_: Any) -> None:
        self.kind = kind
        self.type = type_
        self.inner: Completion | None = None
        self.leaf: Any = None
        self.is_type_of: Any = None
        # The class whose plain instances `is_type_of` accepts without asking.
        self.origin: Any = None
        self.plan: Any = _UNBUILT


class Step:
    """One response key of a plan."""

    __slots__ = (
        "attribute",
        "coerce",
        "completion",
        "field_def",
        "field_details",
        "from_row",
        "from_rows",
        "key",
        "kind",
        "leaf",
        "nodes",
        "non_null",
        "origin",
        "preload",
        "resolve",
        "shares",
        "str_as_is",
        "strings",
    )


class Plan:
    """The compiled selection of one object type for one group of field nodes.
    `ops`: its steps as the tuples `run_plan` loops over (see `_op`)."""

    __slots__ = ("counted", "is_type_of", "ops", "page", "rows", "run_row", "steps", "type", "type_name")

    def __init__(self, type_: GraphQLObjectType, steps: list[Step], counted: int, is_type_of: Any) -> None:
        self.type = type_
        self.type_name = type_.name
        self.steps = steps
        self.counted = counted
        self.is_type_of = is_type_of
        self.ops = tuple(_op(step) for step in steps)
        # How schema/lean_rows.py runs it from a row, and makes an edge of a page.
        self.rows: Any = None
        self.page: Any = _UNBUILT
        self.run_row: Any = None  # (schema/lean_row_plans.py: its row function, once written)


# What run_plan does with a step (Plan.ops):
# (op, response key, step, first, second), what `first` and `second` are per op.
OP_LEAF = 0  # a plain leaf: (attribute, the class whose row computes it or _NO_TYPE)
OP_TYPENAME = 1  # __typename
OP_OBJECT = 2  # an object read off the source: (attribute, completion)
OP_PRELOAD = 3  # an object answered over the page's preload: (completion, shared)
OP_RESOLVED = 4  # anything else _run_resolved completes
OP_EXECUTED = 5  # graphql-core executes it


def _op(step: Step) -> tuple[int, str, Step, Any, Any]:
    """The tuple `run_plan` loops over for `step`: what its hot cases read
    is unpacked with the step, not looked up on it per object."""
    kind = step.kind
    if kind == LEAF:
        row_made = step.from_row is not None
        return (OP_LEAF, step.key, step, step.attribute, step.origin if row_made else _NO_TYPE)
    if kind == TYPENAME:
        return (OP_TYPENAME, step.key, step, None, None)
    if kind == EXECUTED:
        return (OP_EXECUTED, step.key, step, None, None)
    completion = step.completion
    if completion.kind == C_OBJECT and completion.origin is not None:
        if step.resolve is None:
            return (OP_OBJECT, step.key, step, step.attribute, completion)
        if step.preload is not None:
            return (OP_PRELOAD, step.key, step, completion, step.shares)
    return (OP_RESOLVED, step.key, step, None, None)


_UNBUILT = object()
UNBUILT = _UNBUILT  # (schema/lean_rows.py reads it)


class _NO_TYPE:  # the type of no item: a fast path not taken
    pass


# Plans built, by type name (a repeated request builds none: tests read it).
builds: Counter[str] = Counter()
# What a resolver or a completion returns that is never awaitable, found
# without strawberry's is_awaitable (which checks these types first too);
# each execution adds the types it meets (CompiledPlans.awaitable).
SETTLED = frozenset((dict, list, str, int, float, bool, type(None)))


class LazyPathInfo:
    """The resolve info a plan gives a thin resolver: graphql-core's for the
    field (built once per step, `fixed`) with the path of this object, made
    into a `Path` only when read. Cheaper to make than the info tuple."""

    __slots__ = ("context", "fixed", "position")

    def __init__(self, fixed: Any, position: Any) -> None:
        self.fixed = fixed
        self.position = position
        self.context = fixed.context  # what resolvers read most (ctx_of)

    @property
    def path(self) -> Path:
        return real_path(self.position)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fixed, name)


def real_path(position: Any) -> Any:
    """The graphql-core Path of a plan's position (a plain tuple laid out as
    a Path: previous, key, type name)."""
    if position is None or type(position) is Path:
        return position
    return Path(real_path(position[0]), position[1], position[2])


def plain_type_of(is_type_of: Any) -> bool:
    """Strawberry's generated `is_type_of` (none, or the isinstance check it
    builds for types with interfaces) ignores `info`: a plan may call it."""
    return is_type_of is None or getattr(is_type_of, "__module__", None) == GENERATED_IS_TYPE_OF


class CompiledPlans:
    """The plan half of LeanExecutionContext (see the module's note). Needs
    from the executor: `plain` (plain leaf fields), `delivery`, `compiling`,
    `_plans`, `settled` (a set of SETTLED), and graphql-core's methods."""

    plain: dict[tuple[str, str], tuple[str, Any, bool, Any]]
    delivery: Any
    compiling: bool
    _plans: dict[tuple[Any, int], tuple[Any, Plan | None]]
    # The plans of this operation and directive values, across requests
    # (None: this execution's own, in `_plans` only).
    _shared_plans: dict[tuple[Any, ...], Plan | None] | None
    # A thin resolver's info (this execution's context) per step.
    _infos: dict[Step, Any]
    # A preloaded edge's fast answer (this execution's loader) per step.
    _bound: dict[Step, Any]
    # A shared record's completed selection, per step and record:
    # (record, result, fields delivered) (see the module's note).
    _shared_results: dict[tuple[Step, int], tuple[Any, Any, int]]
    settled: set[type]

    # ---------------------------------------------------------------- building

    def plan_for(self, object_type: GraphQLObjectType, field_details: Any) -> Plan | None:
        key = (object_type, id(field_details))
        known = self._plans.get(key)
        if known is not None:
            return known[1]
        shared = self._shared_plans
        if shared is None:
            plan = self._build_plan(object_type, field_details)
        else:
            nodes = (object_type, *(id(detail.node) for detail in field_details))
            plan = shared.get(nodes, _UNBUILT)
            if plan is _UNBUILT:
                plan = shared[nodes] = self._build_plan(object_type, field_details)
        # The field list is kept alive with its plan, so its id is not reused.
        self._plans[key] = (field_details, plan)
        return plan

    def _build_plan(self, object_type: GraphQLObjectType, field_details: Any) -> Plan | None:
        if object_type.name.startswith("__") or not plain_type_of(object_type.is_type_of):
            return None
        builds[object_type.name] += 1
        grouped, new_defer_usages, _forbidden = self.collect_subfields(object_type, field_details)  # type: ignore[attr-defined]
        if new_defer_usages:
            return None
        steps = []
        counted = 0
        for key, details in grouped.items():
            step = self._build_step(object_type, key, details)
            if not step.nodes[0].name.value.startswith("__"):
                counted += 1
            steps.append(step)
        return Plan(object_type, steps, counted, object_type.is_type_of)

    def _build_step(self, object_type: GraphQLObjectType, key: str, details: Any) -> Step:
        step = Step()
        step.from_rows = None  # (schema/lean_rows.py: its records completed from their rows)
        step.key = key
        step.field_details = details
        step.nodes = [detail.node for detail in details]
        first = step.nodes[0]
        name = first.name.value
        field_def = self.schema.get_field(object_type, name)  # type: ignore[attr-defined]
        step.field_def = field_def
        step.kind = EXECUTED
        if field_def is None:
            return step
        if name == "__typename":
            step.kind = TYPENAME
            return step
        if name.startswith("__") or field_def.args or first.arguments:
            return step
        if any(d.node.directives and not _plain_directives(d.node) for d in details):
            return step
        if any(d.fragment_variable_values for d in details):
            return step
        plain = self.plain.get((object_type.name, name))
        if plain is not None:
            step.kind = LEAF
            step.attribute, step.leaf, step.non_null, step.coerce = plain
            step.str_as_is = step.leaf is GraphQLString or step.leaf is GraphQLID
            # A field a row-made object computes from its row (lean_execution
            # `fields_from_row`): the plan computes it straight from the row.
            origin = getattr((object_type.extensions or {}).get("strawberry-definition"), "origin", None)
            descriptor = getattr(origin, "__dict__", {}).get(step.attribute)
            step.origin = origin
            step.from_row = descriptor.make if getattr(descriptor, "reads_row", False) else None
            return step
        definition = (field_def.extensions or {}).get("strawberry-definition")
        thin = getattr(field_def.resolve, "thin", False)
        step.preload = None
        step.shares = False
        if thin:
            step.resolve = field_def.resolve
            step.attribute = None
            step.preload = getattr(field_def.resolve, "preload", None)
            step.shares = getattr(step.preload, "shared", False)
        elif (
            definition is not None
            and definition.base_resolver is None
            and not definition.extensions
            and not definition.directives
            and getattr(definition, "default_resolver", getattr) is getattr
        ):
            step.resolve = None
            step.attribute = definition.python_name
        else:
            return step
        step.kind = RESOLVED
        step.completion = completion = _completion(field_def.type)
        # A list of String/ID (a contact's tags): a list of strs is its own
        # completion (lean_rows' preload answers it so).
        inner = completion.inner
        step.strings = (
            completion.kind == C_LIST
            and inner.kind == C_LEAF
            and (inner.leaf is GraphQLString or inner.leaf is GraphQLID)
        )
        return step

    # ---------------------------------------------------------------- running

    def awaitable(self, value: Any) -> bool:
        """The executor's is_awaitable, remembering the types (not
        generators, whose flag decides) it found never awaitable."""
        if self.is_awaitable(value):  # type: ignore[attr-defined]
            return True
        kind = type(value)
        if kind is not GeneratorType:
            self.settled.add(kind)
        return False

    def run_plan(self, plan: Plan, source: Any, position: Any) -> Any:
        """The result dict of `source` (possibly awaitable): mirrors
        graphql-core's execute_fields over the plan's steps. The hot cases
        (a leaf, an object read off the source or over the page's preload,
        completed by its own plan) are done in the loop; the rest by
        `_run_resolved` or graphql-core, with the value already resolved."""
        delivery = self.delivery
        if delivery is not None:
            delivery.fields += plan.counted
        object_type = plan.type
        type_name = plan.type_name
        results: dict[str, Any] = {}
        settled = self.settled
        awaitable_fields: list[str] | None = None
        step = None
        try:
            for op, key, step, first, second in plan.ops:
                if op == OP_LEAF:
                    try:
                        if type(source) is second:
                            # as the object's FromRow would, without keeping it
                            columns = source.__dict__
                            value = columns.get(first, _ABSENT)
                            if value is _ABSENT:
                                value = step.from_row(columns["row"])
                        else:
                            value = getattr(source, first)
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
                    except Exception:  # graphql-core reports it, below
                        pass
                    result = self._execute_field(object_type, source, step, position)
                elif op == OP_TYPENAME:
                    results[key] = type_name
                    continue
                elif op == OP_OBJECT or op == OP_PRELOAD:
                    if op == OP_OBJECT:
                        completion = second
                        try:
                            value = getattr(source, first)
                        except Exception as raw_error:  # as _run_resolved reports it
                            self.handle_field_error(  # type: ignore[attr-defined]
                                raw_error,
                                step.field_def.type,
                                step.field_details,
                                Path(real_path(position), key, type_name),
                            )
                            results[key] = None
                            continue
                    else:
                        completion = first
                        value = (self._bound.get(step) or self._preloaded(step))(source)
                        if value is None:
                            if not completion.non_null:
                                results[key] = None
                                continue
                        elif second and value is not NOT_PRELOADED:  # shared: completed once per record
                            kept = self._shared_results.get((step, id(value)))
                            if kept is not None and kept[0] is value:  # completed at another position
                                if delivery is not None:
                                    delivery.fields += kept[2]
                                results[key] = kept[1]
                                continue
                            completion = None  # completed and kept by _run_resolved
                    nested = None if completion is None else completion.plan
                    if (
                        nested is not None
                        and type(value) is completion.origin
                        and type(value) in settled
                        and nested is not None
                        and nested is not _UNBUILT
                        and TYPE_CAST_ATTRIBUTE not in value.__dict__
                    ):  # the common case of _run_resolved, in two calls less
                        field_position = (position, key, type_name)
                        try:
                            result = self.run_plan(nested, value, field_position)
                            if type(result) is not dict:
                                result = self._await_completed(
                                    result, step.field_def.type, step, field_position
                                )
                        except Exception as raw_error:
                            self.handle_field_error(  # type: ignore[attr-defined]
                                raw_error, step.field_def.type, step.field_details, real_path(field_position)
                            )
                            result = None
                    else:
                        result = self._run_resolved(object_type, source, step, position, value)
                elif op == OP_RESOLVED:
                    result = self._run_resolved(object_type, source, step, position)
                else:
                    result = self._execute_field(object_type, source, step, position)
                if result is not Undefined:
                    results[key] = result
                    if type(result) not in settled and self.awaitable(result):
                        if awaitable_fields is None:
                            awaitable_fields = []
                        awaitable_fields.append(key)
        except Exception:
            if delivery is not None:  # as graphql-core: the fields after it never ran
                delivery.fields -= counted_after(plan, step)
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])  # type: ignore[attr-defined]
            raise
        if not awaitable_fields:
            return results
        return settle_fields(results, awaitable_fields)

    def _execute_field(self, object_type: Any, source: Any, step: Step, position: Any) -> Any:
        """graphql-core's own execution of one field (not counted again)."""
        path = Path(real_path(position), step.key, object_type.name)
        return self.execute_uncounted_field(object_type, source, step.field_details, path, None)  # type: ignore[attr-defined]

    def _run_resolved(
        self, object_type: Any, source: Any, step: Step, position: Any, resolved: Any = _UNBUILT
    ) -> Any:
        """Mirrors graphql-core's execute_field for a field read off the
        object or answered by a thin resolver. `resolved`: the value
        run_plan already read off the object or got from the preload
        (NOT_PRELOADED: the resolver answers), not read again."""
        field_position = (position, step.key, object_type.name)
        return_type = step.field_def.type
        shared = None
        try:
            resolve = step.resolve
            if resolve is None:
                result = getattr(source, step.attribute) if resolved is _UNBUILT else resolved
            elif (
                step.preload is not None
                and (
                    result := (self._bound.get(step) or self._preloaded(step))(source)
                    if resolved is _UNBUILT
                    else resolved
                )
                is not NOT_PRELOADED
            ):
                # answered over the page's preload (lean_execution.Preload)
                if step.shares and result is not None:
                    kept = self._shared_results.get((step, id(result)))
                    if kept is not None and kept[0] is result:  # completed at another position
                        if self.delivery is not None:
                            self.delivery.fields += kept[2]
                        return kept[1]
                    shared = result
                    errors = len(self.collected_errors.errors)  # type: ignore[attr-defined]
                    delivered = self.delivery.fields if self.delivery is not None else 0
            else:
                info = self._infos.get(step)
                if info is None:  # this execution's info for the field, made once
                    info = self._infos[step] = self._info(object_type, step, None)
                result = resolve(source, LazyPathInfo(info, field_position))
            if type(result) not in self.settled and self.awaitable(result):  # type: ignore[attr-defined]
                path = real_path(field_position)
                return self.complete_awaitable_value(  # type: ignore[attr-defined]
                    return_type, step.field_details, self._info(object_type, step, path), path, result, None
                )
            completion = step.completion
            plan = completion.plan
            if (
                type(result) is completion.origin
                and plan is not None
                and plan is not _UNBUILT
                and TYPE_CAST_ATTRIBUTE not in result.__dict__
            ):  # the common case of _complete, in one call less
                completed = self.run_plan(plan, result, field_position)
            else:
                completed = self._complete(
                    completion, result, object_type, step, field_position, field_position
                )
            if type(completed) not in self.settled and self.awaitable(completed):
                return self._await_completed(completed, return_type, step, field_position)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, step.field_details, real_path(field_position))  # type: ignore[attr-defined]
            return None
        if (
            shared is not None and type(completed) is dict and len(self.collected_errors.errors) == errors  # type: ignore[attr-defined]
        ):  # whole, at once and without an error: the same answer wherever the record is shown
            fields = self.delivery.fields - delivered if self.delivery is not None else 0
            self._shared_results[(step, id(shared))] = (shared, completed, fields)
        return completed

    def _preloaded(self, step: Step) -> Any:
        """This execution's fast answer of a preloaded edge, bound once."""
        answer = self._bound.get(step)
        if answer is None:
            try:
                answer = step.preload.bind(self.context_value)  # type: ignore[attr-defined]
            except Exception:  # no loader here: the resolver answers, as before
                answer = _never_preloaded
            self._bound[step] = answer
        return answer

    async def _await_completed(self, completed: Any, type_: Any, step: Step, position: Any) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, type_, step.field_details, real_path(position))  # type: ignore[attr-defined]
            return None

    def _info(self, object_type: Any, step: Step, path: Any) -> Any:
        return self.build_resolve_info(step.field_def, step.nodes, object_type, path)  # type: ignore[attr-defined]

    def _general(
        self,
        completion: Completion,
        value: Any,
        object_type: Any,
        step: Step,
        field_position: Any,
        position: Any,
    ) -> Any:
        """graphql-core's complete_value at this position, for the value resolved."""
        path = real_path(field_position)
        info = self._info(object_type, step, path)
        return self.complete_value(  # type: ignore[attr-defined]
            completion.type, step.field_details, info, real_path(position), value, None
        )

    def _complete(
        self,
        completion: Completion,
        value: Any,
        object_type: Any,
        step: Step,
        field_position: Any,
        position: Any,
    ) -> Any:
        """Mirrors graphql-core's complete_value for the common cases; hands
        the rest to it at the same position."""
        if value is None:
            if completion.non_null:  # graphql-core's error for it
                return self._general(completion, value, object_type, step, field_position, position)
            return None
        kind = completion.kind
        if kind == C_OBJECT and not isinstance(value, Exception):
            is_type_of = completion.is_type_of
            if (
                is_type_of is not None
                and (type(value) is not completion.origin or TYPE_CAST_ATTRIBUTE in value.__dict__)
                and is_type_of(value, None) is not True
            ):
                return self._general(completion, value, object_type, step, field_position, position)
            plan = completion.plan
            if plan is _UNBUILT:
                plan = completion.plan = self.plan_for(completion.named, step.field_details)
            if plan is None:
                return self._general(completion, value, object_type, step, field_position, position)
            return self.run_plan(plan, value, position)
        if kind == C_LEAF:
            try:
                coerced = completion.coerce(value)
            except Exception:
                coerced = None
            if coerced is None or coerced is Undefined or isinstance(value, Exception):
                return self._general(completion, value, object_type, step, field_position, position)
            return coerced
        if isinstance(value, Exception) or kind == C_GENERAL:
            return self._general(completion, value, object_type, step, field_position, position)
        # C_LIST
        if type(value) is lean_rows.PageEdges:  # a page's edges, from its rows
            return lean_rows.complete_page(
                self, completion, value, object_type, step, field_position, position
            )
        if type(value) is not list and type(value) is not tuple:
            return self._general(completion, value, object_type, step, field_position, position)
        return self._complete_list(completion, value, object_type, step, field_position, position)

    def _complete_list(
        self,
        completion: Completion,
        items: Any,
        object_type: Any,
        step: Step,
        field_position: Any,
        position: Any,
    ) -> Any:
        """Mirrors graphql-core's complete_iterable_value and complete_list_item_value."""
        item_completion: Completion = completion.inner  # type: ignore[assignment]
        settled = self.settled
        # What an item may be completed as at once (see the loop).
        str_as_is, item_type, item_plan = _list_fast_path(item_completion)
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        iterator = iter(items)
        index = 0
        try:
            for item in iterator:
                # The page's common cases first (a page of plain rows, a
                # list of strings): the item completed here, as _complete
                # would, in one call less per item.
                planned = False
                if type(item) is item_type:
                    if str_as_is:
                        append(item)
                        index += 1
                        continue
                    planned = item_plan is not None and TYPE_CAST_ATTRIBUTE not in item.__dict__
                item_position = (position, index, None)
                if not planned and type(item) not in settled and self.awaitable(item):
                    path = real_path(item_position)
                    info = self._info(object_type, step, real_path(field_position))
                    append(
                        self.complete_awaitable_list_item_value(  # type: ignore[attr-defined]
                            item, item_completion.type, step.field_details, info, path, None
                        )
                    )
                    awaitable_indices.append(index)
                else:
                    try:
                        if planned:
                            completed = self.run_plan(item_plan, item, item_position)
                        else:
                            completed = self._complete(
                                item_completion, item, object_type, step, field_position, item_position
                            )
                        if type(completed) not in settled and self.awaitable(completed):
                            append(
                                self._await_completed(completed, item_completion.type, step, item_position)
                            )
                            awaitable_indices.append(index)
                        else:
                            append(completed)
                    except Exception as raw_error:
                        self.handle_field_error(  # type: ignore[attr-defined]
                            raw_error, item_completion.type, step.field_details, real_path(item_position)
                        )
                        append(None)
                    if item_type is _NO_TYPE and item_completion.kind == C_OBJECT:
                        # the first item built the items' plan: the rest take the fast path
                        str_as_is, item_type, item_plan = _list_fast_path(item_completion)
                index += 1
        except Exception:
            pending = [completed_results[i] for i in awaitable_indices]
            pending.extend(collect_iterator_awaitables(iterator, self.is_awaitable))  # type: ignore[attr-defined]
            if pending:
                self.settle_in_background(pending)  # type: ignore[attr-defined]
            raise
        if not awaitable_indices:
            return completed_results
        return settle_items(completed_results, awaitable_indices)


class PlanCache:
    """The plans of one schema across requests (see the module's note): an
    LRU of operations, each with the variables its directives read and, per
    value of those variables, the plans keyed by type and field nodes."""

    OPERATIONS = 256  # as many documents as a client set keeps using
    VALUES = 16  # directive values kept per operation

    def __init__(self) -> None:
        # id(operation) -> (operation, fragments, directive variables or None, plans by values)
        self.operations: OrderedDict[int, tuple[Any, Any, Any, OrderedDict[Any, dict]]] = OrderedDict()

    def plans_for(self, operation: Any, fragments: Any, variables: dict[str, Any]) -> dict | None:
        """The shared plans of this operation with these directive values,
        or None where plans must stay the execution's own."""
        operations = self.operations
        entry = operations.get(id(operation))
        if entry is None or entry[0] is not operation:
            # The operation and its fragments are held: the ids of their
            # field nodes key the plans, and are not reused while held.
            entry = (operation, fragments, directive_variables(operation, fragments), OrderedDict())
            operations[id(operation)] = entry
            if len(operations) > self.OPERATIONS:
                operations.popitem(last=False)
        else:
            operations.move_to_end(id(operation))
        names, by_values = entry[2], entry[3]
        if names is None:
            return None
        try:
            values = tuple(_frozen(variables.get(name, _ABSENT)) for name in names)
            plans = by_values.get(values)
        except TypeError:  # a value that cannot key: this execution's own plans
            return None
        if plans is None:
            plans = by_values[values] = {}
            if len(by_values) > self.VALUES:
                by_values.popitem(last=False)
        else:
            by_values.move_to_end(values)
        return plans


_ABSENT = object()
INCREMENTAL_DIRECTIVES = frozenset(("defer", "stream"))


def directive_variables(operation: Any, fragments: Any) -> tuple[str, ...] | None:
    """The names of the variables read by any directive of the operation or
    its document's fragments (@skip/@include decide which fields a plan
    has; any other directive is counted too, to be safe); None when the
    document has @defer/@stream or fragment arguments, whose field details
    belong to one execution."""
    names: set[str] = set()
    stack: list[tuple[Any, bool]] = [(operation, False)]
    stack.extend((fragment, False) for fragment in fragments.values())
    while stack:
        node, in_directive = stack.pop()
        if isinstance(node, VariableNode):
            if in_directive:
                names.add(node.name.value)
            continue
        if isinstance(node, DirectiveNode):
            if node.name.value in INCREMENTAL_DIRECTIVES:
                return None
            in_directive = True
        elif isinstance(node, FragmentSpreadNode | FragmentDefinitionNode) and (
            getattr(node, "arguments", None) or getattr(node, "variable_definitions", None)
        ):
            return None
        for key in node.keys:
            if key == "loc":
                continue
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append((value, in_directive))
            elif isinstance(value, list | tuple):
                stack.extend((item, in_directive) for item in value if isinstance(item, Node))
    return tuple(sorted(names))


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a coerced variable value (TypeError if none)."""
    if isinstance(value, dict):
        return ("{}", tuple(sorted((key, _frozen(item)) for key, item in value.items())))
    if isinstance(value, list | tuple):
        return ("[]", tuple(_frozen(item) for item in value))
    hash(value)
    return value


def _list_fast_path(item_completion: Completion) -> tuple[bool, Any, Plan | None]:
    """How _complete_list completes an item at once: (strings as they are,
    the item's type for which the fast path applies, the items' plan)."""
    kind = item_completion.kind
    if kind == C_LEAF and (item_completion.leaf is GraphQLString or item_completion.leaf is GraphQLID):
        return True, str, None
    plan = item_completion.plan
    if kind == C_OBJECT and item_completion.origin is not None and plan is not None and plan is not _UNBUILT:
        return False, item_completion.origin, plan
    return False, _NO_TYPE, None


def _plain_directives(node: Any) -> bool:
    return all(directive.name.value in PLAIN_DIRECTIVES for directive in node.directives)


async def settle_fields(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    """An object's result dict once its awaitable fields are awaited (graphql-core's execute_fields)."""
    if len(awaitable_fields) == 1:
        field = awaitable_fields[0]
        results[field] = await results[field]
    else:
        awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


async def settle_items(completed_results: list[Any], awaitable_indices: list[int]) -> list[Any]:
    """A list's completed items once its awaitable ones are awaited (complete_iterable_value)."""
    if len(awaitable_indices) == 1:
        at = awaitable_indices[0]
        completed_results[at] = await completed_results[at]
    else:
        awaited = await gather_with_cancel(*(completed_results[i] for i in awaitable_indices))
        for at, result in zip(awaitable_indices, awaited, strict=True):
            completed_results[at] = result
    return completed_results


def counted_after(plan: Plan, failed: Step | None) -> int:
    """Counted fields of the plan after the step that raised."""
    if failed is None:
        return 0
    after = plan.steps[plan.steps.index(failed) + 1 :]
    return sum(1 for step in after if not step.nodes[0].name.value.startswith("__"))


def output_of(leaf: Any) -> Any:
    """How a leaf type's values are coerced for the response: its own
    `coerce_output_value`, except a Strawberry enum's, which compares the
    value with each of the enum's values per call (a contact's
    lifecycleStage: 50 a page): its answer for a member of the enum's own
    class is kept per member (the same name every time)."""
    general = leaf.coerce_output_value
    members = getattr(leaf, "wrapped_cls", None)
    if not isinstance(leaf, GraphQLEnumType) or not (isinstance(members, type) and issubclass(members, Enum)):
        return general
    names: dict[Any, str] = {}

    def coerce(value: Any) -> Any:
        if type(value) is not members:
            return general(value)
        name = names.get(value)
        if name is None:
            name = names[value] = general(value)
        return name

    return coerce


def _completion(type_: Any) -> Completion:
    """How values of `type_` complete; a non-null type is its inner type's
    completion marked `non_null` (one call less per value)."""
    named, non_null = type_, False
    if isinstance(named, GraphQLNonNull):
        named, non_null = named.of_type, True
    if isinstance(named, GraphQLList):
        completion = Completion(C_LIST, type_)
        completion.inner = _completion(named.of_type)
    elif isinstance(named, GraphQLScalarType | GraphQLEnumType):
        completion = Completion(C_LEAF, type_)
        completion.leaf = named
        completion.coerce = output_of(named)
    elif isinstance(named, GraphQLObjectType) and plain_type_of(named.is_type_of):
        completion = Completion(C_OBJECT, type_)
        completion.is_type_of = named.is_type_of
        definition = (named.extensions or {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        # Only a class whose instances have a __dict__ (where strawberry.cast
        # marks an instance) is recognised by its type alone.
        completion.origin = origin if getattr(origin, "__dictoffset__", 0) else None
    else:
        completion = Completion(C_GENERAL, type_)
    completion.named = named
    completion.non_null = non_null
    return completion


# Pages answered from their rows: that module reads this one's names.
from revgraph.schema import lean_rows  # noqa: E402
