"""Per-request batch loaders (no module-level caches, STYLE.md): every
`load(key)` issued in the same event-loop tick becomes one query."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import partial
from typing import Any

from revgraph.models.crm import Company, Contact, ContactTag
from revgraph.models.identity import Team, User
from revgraph.resolvers.context import Context
from revgraph.resolvers.read_rows import read_rows

BatchFn = Callable[[list[Any]], Awaitable[Sequence[Any]]]


class BatchLoader:
    def __init__(self, batch: BatchFn) -> None:
        self._batch = batch
        self._cache: dict[Hashable, asyncio.Future[Any]] = {}
        # The values loaded so far, for `peek` (a board peeks 800 times).
        self._loaded: dict[Hashable, Any] = {}
        self._queue: list[Hashable] = []
        # Values made from loaded records, memoised by (key, maker) for
        # the request (schema/lean_execution.py `loaded_or_later`).
        self.made: dict[tuple[Hashable, Any], Any] = {}

    def load(self, key: Hashable) -> asyncio.Future[Any]:
        future = self._cache.get(key)
        if future is not None:
            return future
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._cache[key] = future
        self._queue.append(key)
        if len(self._queue) == 1:
            loop.call_soon(lambda: loop.create_task(self._dispatch()))
        return future

    async def load_many(self, keys: Iterable[Hashable]) -> list[Any]:
        # Awaiting each pending future in turn, not gathering them all: the
        # keys of one batch resolve together, and a key already loaded (a
        # board's owners, asked for by every column) costs no callback.
        futures = [self.load(k) for k in keys]
        for future in futures:
            if not future.done():
                await future
        return [future.result() for future in futures]

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """(True, value) when `key` is already loaded, else (False, None):
        lets a resolver answer synchronously, without a coroutine, a task
        and a loop turn per field, when its value was loaded ahead."""
        value = self._loaded.get(key, _NOT_LOADED)
        if value is _NOT_LOADED:
            return False, None
        return True, value

    def prime(self, key: Hashable, value: Any) -> None:
        if key not in self._cache:
            future = asyncio.get_running_loop().create_future()
            future.set_result(value)
            self._cache[key] = future
            self._loaded[key] = value

    async def _dispatch(self) -> None:
        keys, self._queue = self._queue, []
        try:
            values = await self._batch(keys)
        except Exception as exc:
            for key in keys:
                future = self._cache.pop(key)
                if not future.done():
                    future.set_exception(exc)
            return
        loaded = self._loaded
        for key, value in zip(keys, values, strict=True):
            future = self._cache[key]
            if not future.done():
                future.set_result(value)
                loaded[key] = value


_NOT_LOADED = object()


def by_id(workspace_id: int, model: Any, *, as_rows: bool = False) -> BatchFn:
    """Records by id; with `as_rows`, plain rows (resolvers/read_rows.py)
    for loaders whose records are only shown."""

    async def batch(ids: list[int]) -> list[Any]:
        if as_rows:
            rows = await read_rows(model.filter(workspace_id=workspace_id), among=("id", ids))
        else:
            rows = await model.filter(workspace_id=workspace_id, id__in=ids)
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return batch


def grouped(
    workspace_id: int, model: Any, column: str, value: str | None = None, order: str = "id"
) -> BatchFn:
    async def batch(keys: list[int]) -> list[list[Any]]:
        query = model.filter(workspace_id=workspace_id).order_by(order)
        rows = await read_rows(query, among=(column, keys))
        groups: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, column)].append(getattr(row, value) if value else row)
        return [groups.get(k, []) for k in keys]

    return batch


def loader(ctx: Context, name: str, factory: Callable[[int], BatchFn]) -> BatchLoader:
    """The request's loader called `name`, created on first use. Loaders
    are keyed by id within the caller's workspace; visibility is applied by
    the use cases that hand out ids, and again where a loader result is a
    record the caller reaches through an edge."""
    loaders = ctx.cache.get("loaders")
    if loaders is None:
        loaders = ctx.cache["loaders"] = {}
    found = loaders.get(name)
    if found is None:
        found = loaders[name] = BatchLoader(factory(ctx.require_actor().workspace_id))
    return found


# The factories of the shared loaders, made once (a board's cards ask for
# the users and contacts loaders 800 times).
_USERS = partial(by_id, model=User, as_rows=True)
_COMPANIES = partial(by_id, model=Company, as_rows=True)
_CONTACTS = partial(by_id, model=Contact, as_rows=True)


def users(ctx: Context) -> BatchLoader:
    return loader(ctx, "users", _USERS)


def teams(ctx: Context) -> BatchLoader:
    return loader(ctx, "teams", lambda ws: by_id(ws, Team))


def companies(ctx: Context) -> BatchLoader:
    return loader(ctx, "companies", _COMPANIES)


def contacts(ctx: Context) -> BatchLoader:
    return loader(ctx, "contacts", _CONTACTS)


def contact_tags(ctx: Context) -> BatchLoader:
    return loader(ctx, "contact_tags", lambda ws: grouped(ws, ContactTag, "contact_id", "name"))


def team_members(ctx: Context) -> BatchLoader:
    return loader(ctx, "team_members", lambda ws: grouped(ws, User, "team_id"))
