"""Relay connections: edges { cursor node }, pageInfo, totalCount.

A page's edges (owner, contact, company...) are loaded for the whole page
at once (`preload_page`, one batch per edge), and answered per record by
the field's `Preload` (schema/lean_execution.py) without a resolver call.
Records a page's rows already carry, read in the rows' own statement
(resolvers/read_rows.py `Join`: the board's owner and contact, as the
physical floor joins them), are not loaded again: the `Preload` named
after the join answers from them. `selected_fields` (schema/common.py) says which fields a
selection shows, so such a read can narrow its columns to them; `joins_shown`
says it for a list's edges (which records to join, which of their columns)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from revgraph.resolvers.context import Context
from revgraph.resolvers.loaders import BatchLoader
from revgraph.resolvers.pagination import Cursors, Page
from revgraph.resolvers.read_rows import JOIN
from revgraph.schema.common import PageInfo, ctx_of, page_info, selected_fields, selects
from revgraph.schema.lean_rows import PageEdges

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
) -> Any:
    """Wrap a resolvers Page into a connection type instance. The generic
    Edge of a page with lazy cursors (resolvers/pagination.py `Cursors`)
    encodes its cursor only if it is read: a board's query selects none.
    Its edges are a `PageEdges` (schema/lean_rows.py)."""
    edge_type = edge_cls or Edge
    cursors = page.cursors
    if edge_type is Edge and isinstance(cursors, Cursors):
        # Made when read; a compiled plan completes them from the rows
        # (schema/lean_rows.py): no Edge or node object per row.
        edges: Any = PageEdges(Edge, page.items, cursors, wrap)
    else:
        edges = [edge_type(cursor=c, node=wrap(item)) for item, c in zip(page.items, cursors, strict=True)]
    return connection_cls(edges=edges, page_info=page_info(page), page=page)


@dataclass(frozen=True)
class Ahead:
    """An edge of a page's records to load ahead when the selection asks
    for it: the field under `edges { node }`, the request's loader and the
    column of each record that keys it."""

    field: str
    loader: Callable[[Context], BatchLoader]
    key: str = "id"


async def preload_page(info: Info, rows: list[Any], *ahead: Ahead) -> dict[str, list[Any]]:
    """Load, one batch per edge, what the page's selection asks for below
    `edges { node }`, so each record's field answers synchronously over it
    (schema/lean_execution.py); the loaded records, by field."""
    ctx = ctx_of(info)
    wanted = {}
    for edge in ahead:
        if rows and JOIN + edge.field in rows[0].__dict__:
            continue  # read with the rows (see the module's note)
        if not selects(info, "edges", "node", edge.field):
            continue  # (a narrowed read may not even hold its column)
        keys = {getattr(row, edge.key) for row in rows} - {None}
        if keys:
            wanted[edge.field] = edge.loader(ctx).load_many(keys)
    found = await asyncio.gather(*wanted.values())
    return dict(zip(wanted, found, strict=True))


@dataclass(frozen=True)
class Joinable:
    """An edge of a page's records that the page's statement may read with
    them (resolvers/read_rows.py `Join`): the field under `edges { node }`,
    the columns of its record that its type's plain fields read, by field
    (None: none is plain, read every column), and the columns always read
    (what its answer checks, such as the owner visibility is decided by)."""

    field: str
    plain: Mapping[str, str] | None
    always: tuple[str, ...] = ()


def joins_shown(info: Info, *edges: Joinable) -> dict[str, tuple[str, ...] | None]:
    """The edges of a page that its selection shows, with the columns each
    needs (None: every column: a field that is not a plain column is
    shown): what resolvers/read_rows.py `joins_for` takes. Kept per
    selection (the parsed document is cached, so its node is reused)."""
    node = info._raw_info.field_nodes[0]
    key = (id(node), *(edge.field for edge in edges))
    kept = _shown_by_node.get(key)
    if kept is not None and kept[0] is node:
        return kept[1]
    shown = edges_shown(info, edges)
    if len(_shown_by_node) >= 512:  # as many documents as the parser keeps
        _shown_by_node.clear()
    _shown_by_node[key] = (node, shown)  # the node is held, so its id is not reused
    return shown


_shown_by_node: dict[tuple[Any, ...], tuple[Any, dict[str, tuple[str, ...] | None]]] = {}


def edges_shown(info: Info, edges: Iterable[Joinable]) -> dict[str, tuple[str, ...] | None]:
    """`joins_shown`'s answer, not kept: for a caller that keeps it with
    more of its own (the board's cards, schema/deals.py `_cards_show`)."""
    shown: dict[str, tuple[str, ...] | None] = {}
    for edge in edges:
        fields = selected_fields(info, "edges", "node", edge.field)
        if fields is None:
            continue
        fields.discard("__typename")
        if edge.plain is None or not fields <= edge.plain.keys():
            shown[edge.field] = None
        else:
            shown[edge.field] = tuple(sorted({*edge.always, *(edge.plain[name] for name in fields)}))
    return shown
