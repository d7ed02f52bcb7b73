"""Relay connections: edges { cursor node }, pageInfo, totalCount.

Answered ahead (house rule for hot lists, with schema/lean_execution.py):
a page that loads what its records' edges show in one batch per edge
(`preload_answers`, the deals' owner, contact and company) also makes each
record's answer there, in one loop per edge, and `build` puts it on the
record's object; the field's resolver is marked `answered_ahead`, and a
compiled plan (schema/lean_plans.py) reads the answer off the object
instead of calling the resolver. So a card of the board costs no resolver
call, resolve info, loader lookup or awaitable check for its owner and
contact: the answers were made with the page, as a floor that joins them
would. The resolver stays the one source of the field's meaning: it
returns the answer put ahead when there is one (graphql-core's own path,
plans off), and computes it otherwise (an object no page built).
A list that wants it: an `Ahead` with `then` per edge, `preload_answers`
instead of `preload_page`, `build(..., answers=)`, and `@answered_ahead`
under the field's `@strawberry.field`."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.types import Info

from revgraph.resolvers.context import Context
from revgraph.resolvers.loaders import BatchLoader
from revgraph.resolvers.pagination import Cursors, Page
from revgraph.resolvers.read_rows import JOIN
from revgraph.schema.common import PageInfo, ctx_of, page_info, selects

T = TypeVar("T")


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item; pass as `after`/`before`.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items. `first`/`last` default to 50 and may be at most 100.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Where this page is in the whole list.")
    page: strawberry.Private[Page]

    @strawberry.field(description="Number of items in the whole list (all pages), after filters.")
    async def total_count(self) -> int:
        return await self.page.total_count()


class _CursorOfEdge:
    """`Edge.cursor` of an edge made by `build` over lazy cursors: read from
    the page's `Cursors` (encoded there when first read), then kept."""

    def __get__(self, edge: Any, owner: Any = None) -> Any:
        if edge is None:
            return self
        columns = edge.__dict__
        cursor = columns["cursor"] = columns["cursors"][columns["at"]]
        return cursor


Edge.cursor = _CursorOfEdge()  # type: ignore[assignment]


def build(
    connection_cls: Any,
    page: Page,
    wrap: Callable[[Any], Any],
    edge_cls: Any = None,
    answers: Answers | None = None,
) -> Any:
    """Wrap a resolvers Page into a connection type instance. The generic
    Edge of a page with lazy cursors (resolvers/pagination.py `Cursors`)
    encodes its cursor only if it is read: a board's query selects none.
    `answers`: what `preload_answers` made, put on each node (see the
    module's note)."""
    edge_type = edge_cls or Edge
    cursors = page.cursors
    if answers:
        wrap = answers.wrapping(wrap)
    if edge_type is Edge and isinstance(cursors, Cursors):
        new = Edge.__new__
        edges = []
        for at, item in enumerate(page.items):
            edge = new(Edge)
            edge.__dict__.update(node=wrap(item), cursors=cursors, at=at)
            edges.append(edge)
    else:
        edges = [edge_type(cursor=c, node=wrap(item)) for item, c in zip(page.items, cursors, strict=True)]
    return connection_cls(edges=edges, page_info=page_info(page), page=page)


@dataclass(frozen=True)
class Ahead:
    """An edge of a page's records to load ahead when the selection asks
    for it: the field under `edges { node }`, the request's loader and the
    column of each record that keys it. With `then` (for `preload_answers`):
    how a loaded record becomes the field's answer (None when the key is
    None); `shared`: one answer per record for the whole request, for a
    `then` that only shapes the record (a board's 400 cards have a few
    owners), the same memo `loaded_or_later(shared=True)` keeps."""

    field: str
    loader: Callable[[Context], BatchLoader]
    key: str = "id"
    then: Callable[[Any], Any] | None = None
    shared: bool = False


AHEAD = "ahead:"  # the prefix of an answer's key in an object's __dict__
_NOT_AHEAD = object()


def answered_ahead(resolver: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a synchronous method resolver (`self, info`) whose answer a page
    may put on the object ahead (`build(..., answers=)`): a compiled plan
    reads it there without calling the resolver; called anyway (plans off),
    the resolver returns it too."""
    key = AHEAD + resolver.__name__

    @functools.wraps(resolver)
    def resolve(self: Any, info: Any) -> Any:
        found = self.__dict__.get(key, _NOT_AHEAD)
        return resolver(self, info) if found is _NOT_AHEAD else found

    resolve.answered_ahead = key  # type: ignore[attr-defined]
    return resolve


class Answers(list):
    """The answers `preload_answers` made: (key, column, answer by column
    value) per edge, put on each node by `build`."""

    def wrapping(self, wrap: Callable[[Any], Any]) -> Callable[[Any], Any]:
        edges = tuple(self)

        def wrapped(item: Any) -> Any:
            node = wrap(item)
            found = node.__dict__
            for key, column, by_value in edges:
                value = getattr(item, column)
                found[key] = None if value is None else by_value[value]
            return node

        return wrapped


async def preload_answers(info: Info, rows: list[Any], *ahead: Ahead) -> Answers:
    """`preload_page` for edges with a `then`, and each record's answer made
    once (see the module's note): what `build(..., answers=)` puts on the
    page's objects. An edge whose records the rows carry, read in their
    own statement (resolvers/read_rows.py `Join` named as the field), is
    answered from those, without its loader."""
    ctx = ctx_of(info)
    wanted = []
    answers = Answers()
    for edge in ahead:
        if not rows or not selects(info, "edges", "node", edge.field):
            continue
        keys = {getattr(row, edge.key) for row in rows} - {None}
        if not keys:
            continue
        carried = JOIN + edge.field
        if carried in rows[0].__dict__:
            then = edge.then
            by_value: dict[Any, Any] = {}
            for row in rows:
                key = getattr(row, edge.key)
                if key is not None and key not in by_value:
                    by_value[key] = then(row.__dict__[carried])
            answers.append((AHEAD + edge.field, edge.key, by_value))
        else:
            wanted.append((edge, edge.loader(ctx), keys))
    await asyncio.gather(*(loader.load_many(keys) for _, loader, keys in wanted))
    for edge, loader, keys in wanted:
        then = edge.then
        by_value = {}
        if edge.shared:
            made = loader.made
            for key in keys:
                answer = made.get((key, then), _NOT_AHEAD)
                if answer is _NOT_AHEAD:
                    answer = made[(key, then)] = then(loader.peek(key)[1])
                by_value[key] = answer
        else:
            for key in keys:
                by_value[key] = then(loader.peek(key)[1])
        answers.append((AHEAD + edge.field, edge.key, by_value))
    return answers


def selected_fields(info: Info, *path: str) -> set[str] | None:
    """The names of the fields selected at `path` below the current field
    (through fragments, whatever their directives: a superset), or None
    when nothing is: what a read may narrow its columns to."""
    raw = info._raw_info
    level: list[Any] = [
        child for node in raw.field_nodes if node.selection_set for child in node.selection_set.selections
    ]
    for name in (*path, None):
        matched: list[Any] = []
        names: set[str] = set()
        while level:
            selection = level.pop()
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                if selection.name.value == name:
                    matched.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                level.extend(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = raw.fragments.get(selection.name.value)
                if fragment is not None:
                    level.extend(fragment.selection_set.selections)
        if name is None:
            return names
        if not matched:
            return None
        level = [
            child for field in matched if field.selection_set for child in field.selection_set.selections
        ]
    return None


async def preload_page(info: Info, rows: list[Any], *ahead: Ahead) -> dict[str, list[Any]]:
    """Load, one batch per edge, what the page's selection asks for below
    `edges { node }`, so each record's field answers synchronously over it
    (schema/lean_execution.py); the loaded records, by field."""
    ctx = ctx_of(info)
    wanted = {}
    for edge in ahead:
        keys = {getattr(row, edge.key) for row in rows} - {None}
        if keys and selects(info, "edges", "node", edge.field):
            wanted[edge.field] = edge.loader(ctx).load_many(keys)
    found = await asyncio.gather(*wanted.values())
    return dict(zip(wanted, found, strict=True))
