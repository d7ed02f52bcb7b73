"""Demand control measured on the document before anything runs
(RELIABILITY.md): page sizes with variables resolved, the cost estimate
(connection multipliers, like GitHub's node limit and Saleor's cost map),
and the per-document mutation rules. Pure functions of the schema, the
document and the variables: no I/O, so a refused operation runs no SQL."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_composite_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

from revgraph.resolvers.i18n import _

# Lists that are not connections (a pipeline's stages, a team's members) are
# small by nature; this is how many items the estimate assumes for them.
UNPAGINATED_LIST_ESTIMATE = 20
# Root fields that create credentials or check a password or a reset token:
# an attacker must not be able to try many guesses (or create many
# workspaces) in one request with aliases.
ONCE_PER_DOCUMENT = ("logIn", "signUp", "changePassword", "resetPassword", "acceptInvitation")
INTROSPECTION_ROOTS = ("__schema", "__type")


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation that will run, chosen the way graphql-core chooses it."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def selected_fields(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    parent: Any,
    selection_set: SelectionSetNode,
) -> list[tuple[Any, FieldNode]]:
    """The field nodes of a selection set with fragments flattened, each with
    the type it is selected on. As graphql-core collects fields, a fragment
    spread more than once in one selection set is collected once: the walk
    is linear in the document, and so is everything built on it."""
    found: list[tuple[Any, FieldNode]] = []
    seen: set[str] = set()
    pending: list[tuple[Any, SelectionSetNode]] = [(parent, selection_set)]
    while pending:
        on, current = pending.pop()
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                found.append((on, selection))
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    continue
                seen.add(name)
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                continue
            pending.append(((schema.get_type(condition.name.value) if condition else None) or on, inner))
    return found


@dataclass
class Demand:
    """What an operation asks for: its estimated cost, the first page-size
    violation found (if any) and whether it introspects the schema."""

    cost: int = 0
    page_size_problem: str | None = None
    introspection: bool = False


class DemandEstimate:
    """Walks one operation with its variables coerced. Each field costs 1; a
    connection multiplies what its `edges`/`nodes` select by `first`/`last`
    (default page size when absent); other lists of objects multiply by
    UNPAGINATED_LIST_ESTIMATE. Introspection fields cost nothing. The cost
    of a selection set is memoised by (node, type, page), so a fragment
    used in many places is measured once: linear in the document."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: VariableValues,
        *,
        max_page_size: int,
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments_of(document)
        self.variables = variables
        self.max_page_size = max_page_size
        self.default_page_size = default_page_size
        self.demand = Demand()
        self.memo: dict[tuple[int, str, int | None], int] = {}

    def measure(self, operation: OperationDefinitionNode) -> Demand:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return self.demand
        roots = selected_fields(self.schema, self.fragments, root, operation.selection_set)
        self.demand.introspection = any(node.name.value in INTROSPECTION_ROOTS for _, node in roots)
        self.demand.cost = self._cost(root, operation.selection_set, None)
        return self.demand

    def _cost(self, parent: Any, selection_set: SelectionSetNode, page: int | None) -> int:
        key = (id(selection_set), parent.name, page)
        known = self.memo.get(key)
        if known is None:
            known = self.memo[key] = self._measure(parent, selection_set, page)
        return known

    def _measure(self, parent: Any, selection_set: SelectionSetNode, page: int | None) -> int:
        total = 0
        for on, node in selected_fields(self.schema, self.fragments, parent, selection_set):
            name = node.name.value
            if name.startswith("__"):
                continue
            definition = getattr(on, "fields", {}).get(name)
            if definition is None:
                total += 1
                continue
            size = self._page_size(definition, node)
            if node.selection_set is None:
                total += 1
                continue
            named = get_named_type(definition.type)
            if self._is_connection(named):
                inner = self._cost(named, node.selection_set, size or self.default_page_size)
                total += 1 + inner
                continue
            children = self._cost(named, node.selection_set, None)
            if page is not None and name in ("edges", "nodes"):
                multiplier = page
            elif self._is_list(definition.type) and is_composite_type(named):
                multiplier = size or UNPAGINATED_LIST_ESTIMATE
            else:
                multiplier = 1
            total += 1 + multiplier * children
        return total

    def _page_size(self, definition: Any, node: FieldNode) -> int | None:
        """`first` or `last` of this field (variables resolved), after
        recording a violation of the page-size limit."""
        if "first" not in definition.args and "last" not in definition.args:
            return None
        try:
            args = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return None  # execution reports the bad argument itself
        sizes = []
        for arg in ("first", "last"):
            value = args.get(arg)
            if not isinstance(value, int):
                continue
            if value > self.max_page_size or value < 0:
                self.demand.page_size_problem = self.demand.page_size_problem or (
                    _(
                        "`{arg}` of `{field}` is {value}; it must be between 0 and {limit}. Ask for the next page with `after`.",
                        arg=arg,
                        field=node.name.value,
                        value=value,
                        limit=self.max_page_size,
                    )
                )
            sizes.append(min(max(value, 0), self.max_page_size))
        return max(sizes) if sizes else None

    @staticmethod
    def _is_connection(named: Any) -> bool:
        return isinstance(named, GraphQLObjectType) and "edges" in named.fields and "pageInfo" in named.fields

    @staticmethod
    def _is_list(type_: Any) -> bool:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        return isinstance(type_, GraphQLList)


def measure_demand(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: Mapping[str, Any] | None,
    *,
    max_page_size: int,
    default_page_size: int,
) -> Demand | None:
    """The demand of the operation that will run, or None when the operation
    or its variables are invalid (execution then reports why). A pure
    function of its arguments: a repeated request (the same parsed document,
    from the parser cache, and the same variables) reads it from a small
    memo instead of coercing the variables and walking the document again."""
    try:
        key = (id(document), operation_name, _frozen(raw_variables), max_page_size, default_page_size)
    except (TypeError, RecursionError):  # a value that cannot key (or too deep): measured as is
        key = None
    memo = _demands.get(schema) if key is not None else None
    if memo is not None:
        known = memo.get(key)
        if known is not None and known[0] is document:
            memo.move_to_end(key)
            return known[1]
    demand = _measure_demand(
        schema, document, operation_name, raw_variables, max_page_size, default_page_size
    )
    # Only a clean demand is kept: a refusal's message is in the caller's language.
    if key is not None and demand is not None and demand.page_size_problem is None:
        if memo is None:
            memo = _demands[schema] = OrderedDict()
        # The document is held with its demand, so its id is not reused.
        memo[key] = (document, demand)
        if len(memo) > DEMANDS_KEPT:
            memo.popitem(last=False)
    return demand


# Demands of repeated requests, per schema (measure_demand).
DEMANDS_KEPT = 512
_demands: weakref.WeakKeyDictionary[GraphQLSchema, OrderedDict[tuple, tuple[DocumentNode, Demand]]] = (
    weakref.WeakKeyDictionary()
)


# Variables bigger than this (values, and characters of strings) are not
# kept as a memo key: 512 keys of a bulk import's variables would be a
# memory cost any caller could impose; such a request is measured as is.
FROZEN_BUDGET = 2048


def _frozen(value: Any, budget: list[int] | None = None) -> Any:
    """A hashable stand-in for a JSON value (TypeError if none, or if it is
    bigger than FROZEN_BUDGET), types kept apart (1, 1.0 and True are
    different variables)."""
    if budget is None:
        budget = [FROZEN_BUDGET]
    budget[0] -= len(value) + 1 if isinstance(value, str | Mapping | list | tuple) else 1
    if budget[0] < 0:
        raise TypeError("too big to keep")
    if isinstance(value, Mapping):
        return ("{}", tuple(sorted((key, _frozen(item, budget)) for key, item in value.items())))
    if isinstance(value, list | tuple):
        return ("[]", tuple(_frozen(item, budget) for item in value))
    hash(value)
    return (type(value), value)


def _measure_demand(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: Mapping[str, Any] | None,
    max_page_size: int,
    default_page_size: int,
) -> Demand | None:
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(raw_variables or {}))
    if isinstance(coerced, list):
        return None
    estimate = DemandEstimate(
        schema, document, coerced, max_page_size=max_page_size, default_page_size=default_page_size
    )
    return estimate.measure(operation)


class DeliveredFields:
    """The fields an execution delivered, counted by the executor as it
    executes them (schema/lean_execution.py): one per executed field,
    introspection excluded. Without errors every executed field is in the
    response, so the count is the delivered cost."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields = 0


# Set by DemandControl for the operation it admits; read by the executor.
counted_delivery: ContextVar[DeliveredFields | None] = ContextVar("counted_delivery", default=None)


def delivered_cost(document: DocumentNode, operation_name: str | None, data: Any, errors: Any = None) -> int:
    """What an operation actually delivered, in the units of the estimate:
    1 per field present in the response, introspection excluded. This is
    what the rate limit charges. Counted during execution when there is a
    count and no error; otherwise (an error may have nulled a subtree that
    had executed) measured by walking the data."""
    counted = counted_delivery.get()
    if counted is not None and not errors and data is not None:
        return counted.fields
    operation = operation_of(document, operation_name)
    if operation is None or data is None:
        return 0
    return _delivered(fragments_of(document), list(operation.selection_set.selections), data)


def _delivered(fragments: Mapping[str, FragmentDefinitionNode], selections: list[Any], data: Any) -> int:
    if isinstance(data, list):
        return sum(_delivered(fragments, selections, item) for item in data)
    if not isinstance(data, dict):
        return 0
    # Response key -> the selections under it, merged as graphql-core merges
    # fields of one key; type conditions need no checking, as only the keys
    # that apply are present in the data.
    by_key: dict[str, list[Any]] = {}
    pending, seen = list(selections), set()
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            key = selection.alias.value if selection.alias else selection.name.value
            by_key.setdefault(key, []).extend(
                selection.selection_set.selections if selection.selection_set else ()
            )
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                pending.extend(fragment.selection_set.selections)
    total = 0
    for key, value in data.items():
        if key not in by_key:
            continue
        total += 1
        if by_key[key]:
            total += _delivered(fragments, by_key[key], value)
    return total


def mutation_rule(max_mutations: int) -> type[ValidationRule]:
    """A validation rule: at most `max_mutations` root fields per mutation
    operation, and logIn/signUp at most once (aliases count), so neither a
    batch of writes nor a password spray fits in one request."""

    class MutationsPerDocument(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_rest: Any) -> None:
            if node.operation != OperationType.MUTATION:
                return
            context: ValidationContext = self.context
            fields = selected_fields(
                context.schema,
                fragments_of(context.document),
                context.schema.mutation_type,
                node.selection_set,
            )
            names = [n.name.value for _, n in fields if not n.name.value.startswith("__")]
            if len(names) > max_mutations:
                self.report_error(
                    GraphQLError(
                        _(
                            "A document may run at most {max_mutations} mutations; this one runs {count}.",
                            max_mutations=max_mutations,
                            count=len(names),
                        ),
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )
            for once in ONCE_PER_DOCUMENT:
                if names.count(once) > 1:
                    self.report_error(
                        GraphQLError(
                            _("`{once}` may run only once per document.", once=once),
                            node,
                            extensions={"code": "QUERY_TOO_COMPLEX"},
                        )
                    )

    return MutationsPerDocument
