"""The GraphQL side of API key scopes (resolvers/key_scopes.py): their enum,
and the root
fields an operation selects, fragments at the root expanded, checked
against the caller's scope before any resolver runs (DemandControl); for
an INTAKE key, also the fields its mutations read back (INTAKE_PAYLOADS)."""

from __future__ import annotations

from collections.abc import Iterator
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
from revgraph.resolvers.key_scopes import (
    FULL,
    INTAKE,
    INTAKE_PAYLOADS,
    PayloadFields,
    operation_problem,
    payload_problem,
)


@strawberry.enum(
    description="What an API key may do at all, whatever its role: FULL (everything its role allows), READ_ONLY (queries and subscriptions), INTAKE (only captureLead, updateDealFromPartner and POST /api/leads, reading back only ids and the deal's state)."
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


def _fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[tuple[str, int]],
    key: int = 0,
) -> Iterator[FieldNode]:
    """The fields of one level of a selection, fragments expanded. A
    fragment is expanded once per `key` (the level being checked): its
    fields there are the same each time, and a document repeating spreads
    inside spreads does not grow the walk exponentially (nor loop)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen, key)
        elif isinstance(selection, FragmentSpreadNode) and (selection.name.value, key) not in seen:
            seen.add((selection.name.value, key))
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments, seen, key)


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> set[str]:
    return {f.name.value for f in _fields(operation.selection_set, _fragments(document), set())}


def _beyond(
    selection_set: SelectionSetNode,
    allowed: PayloadFields,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[tuple[str, int]],
    path: str,
    refused: list[str],
) -> None:
    # `allowed` is a node of a tree: it stands for one path, so it keys `seen`.
    for field in _fields(selection_set, fragments, seen, id(allowed)):
        name = field.name.value
        if name == "__typename":
            continue
        if name not in allowed:
            if f"{path}.{name}" not in refused:
                refused.append(f"{path}.{name}")
            continue
        under = allowed[name]
        if under is not None and field.selection_set is not None:
            _beyond(field.selection_set, under, fragments, seen, f"{path}.{name}", refused)


def intake_payload_fields(document: DocumentNode, operation: OperationDefinitionNode) -> list[str]:
    """The payload fields an INTAKE mutation selects beyond INTAKE_PAYLOADS."""
    fragments = _fragments(document)
    seen: set[tuple[str, int]] = set()
    refused: list[str] = []
    for root in _fields(operation.selection_set, fragments, seen):
        allowed = INTAKE_PAYLOADS.get(root.name.value)
        if allowed is not None and root.selection_set is not None:
            _beyond(root.selection_set, allowed, fragments, seen, root.name.value, refused)
    return refused


def scope_problem(actor: Actor | None, document: DocumentNode, operation_name: str | None) -> str | None:
    """Why the caller's key may not run this operation, or None."""
    if actor is None or actor.scope == FULL:
        return None
    operation = _operation(document, operation_name)
    if operation is None:
        return None  # validation has already refused it
    problem = operation_problem(actor.scope, operation.operation.value, root_fields(document, operation))
    if problem is None and actor.scope == INTAKE and operation.operation.value == "mutation":
        problem = payload_problem(intake_payload_fields(document, operation))
    return problem
