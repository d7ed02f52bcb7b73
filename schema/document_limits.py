"""The shape of a GraphQL document, measured before anything expensive runs
(RELIABILITY.md "Demand control").

A document of a few hundred tokens can name fragments that spread each
other twice per level: 21 levels expand to a million fields. Validation
rules, look-ahead helpers and cost walks that expand fragments naively then
burn seconds of CPU on one small anonymous request. Here each fragment's
shape is measured once (memoised), so the measurement is linear in the
document's size, and a document whose expansion is too large, too deep or
too aliased is refused before graphql-core's validation, the cost estimate
or any SQL sees it.

It replaces Strawberry's QueryDepthLimiter and MaxAliasesLimiter, whose
walks expand every fragment spread again (exponential on such documents),
and keeps their messages and semantics: the depth is the nesting level of
the deepest field, root fields being level 0, with the fields below an
introspection field not counted; aliases are counted after expansion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from revgraph.resolvers.i18n import _


@dataclass(frozen=True, slots=True)
class Shape:
    """Of a selection set once its fragments are expanded: how many field
    selections it holds at every level (`fields`), how many of them carry
    an alias, and how many levels its deepest field sits below it."""

    fields: int = 0
    aliases: int = 0
    depth: int = 0

    def __add__(self, other: Shape) -> Shape:
        return Shape(self.fields + other.fields, self.aliases + other.aliases, max(self.depth, other.depth))


EMPTY = Shape()


class ShapeOf:
    """Measures selection sets of one document, each fragment once."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.measured: dict[str, Shape] = {}
        self.in_progress: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> Shape:
        total = EMPTY
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def field(self, node: FieldNode) -> Shape:
        below = self.selection_set(node.selection_set)
        alias = 1 if node.alias else 0
        if node.selection_set is None or node.name.value.startswith("__"):
            # A leaf, or an introspection field whose subtree the depth
            # limit exempts (introspection is free for partners' tools).
            return Shape(1 + below.fields, alias + below.aliases, 0)
        return Shape(1 + below.fields, alias + below.aliases, 1 + below.depth)

    def fragment(self, name: str) -> Shape:
        known = self.measured.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            # Unknown fragments and cycles are validation errors reported
            # later; they add nothing to the work here.
            return EMPTY
        self.in_progress.add(name)
        try:
            shape = self.selection_set(definition.selection_set)
        finally:
            self.in_progress.discard(name)
        self.measured[name] = shape
        return shape


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_depth: int
    max_aliases: int
    max_fields: int


def document_problem(document: DocumentNode, limits: DocumentLimits) -> GraphQLError | None:
    """The first limit the document's operations pass, as a
    QUERY_TOO_COMPLEX error; None when every operation is within them."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    measure = ShapeOf(fragments)
    total = EMPTY
    try:
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            shape = measure.selection_set(definition.selection_set)
            if shape.depth > limits.max_depth:
                name = definition.name.value if definition.name else "anonymous"
                return too_complex(
                    _(
                        "'{name}' exceeds maximum operation depth of {limit}",
                        name=name,
                        limit=limits.max_depth,
                    )
                )
            total += shape
    except RecursionError:
        return too_complex(_("The document nests too deeply to be measured."))
    if total.fields > limits.max_fields:
        return too_complex(
            _(
                "The document selects {count} fields once its fragments are expanded; the limit is {limit}. Spread each fragment fewer times.",
                count=total.fields,
                limit=limits.max_fields,
            )
        )
    if total.aliases > limits.max_aliases:
        return too_complex(
            _("{count} aliases found. Allowed: {limit}", count=total.aliases, limit=limits.max_aliases)
        )
    return None


def too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})
