"""`node(id:)`: each domain registers how to fetch one visible record of its
type; an id the caller may not see resolves to null like a missing one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import decode_id

Fetch = Callable[[Context, int], Awaitable[Any]]
Wrap = Callable[[Any], Any]

NODE_TYPES: dict[str, tuple[Fetch, Wrap]] = {}


def register_node(type_name: str, fetch: Fetch, wrap: Wrap) -> None:
    NODE_TYPES[type_name] = (fetch, wrap)


async def resolve_node(ctx: Context, global_id: str) -> Any:
    ctx.require_actor()
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] not in NODE_TYPES:
        return None
    fetch, wrap = NODE_TYPES[decoded[0]]
    row = await fetch(ctx, decoded[1])
    return wrap(row) if row is not None else None
