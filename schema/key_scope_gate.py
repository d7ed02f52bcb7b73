"""The GraphQL side of API key scopes (resolvers/key_scopes.py): their enum,
and the root
fields an operation selects, fragments at the root expanded, checked
against the caller's scope before any resolver runs (DemandControl)."""

from __future__ import annotations

from enum import Enum

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from revgraph.resolvers.context import Actor
from revgraph.resolvers.key_scopes import FULL, operation_problem


@strawberry.enum(
    description="What an API key may do at all, whatever its role: FULL (everything its role allows), READ_ONLY (queries and subscriptions), INTAKE (only captureLead, updateDealFromPartner and POST /api/leads)."
)
class ApiKeyScope(Enum):
    FULL = "FULL"
    READ_ONLY = "READ_ONLY"
    INTAKE = "INTAKE"


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> set[str]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: set[str] = set()
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set)

    walk(operation.selection_set)
    return names


def scope_problem(actor: Actor | None, document: DocumentNode, operation_name: str | None) -> str | None:
    """Why the caller's key may not run this operation, or None."""
    if actor is None or actor.scope == FULL:
        return None
    operation = _operation(document, operation_name)
    if operation is None:
        return None  # validation has already refused it
    return operation_problem(actor.scope, operation.operation.value, root_fields(document, operation))
