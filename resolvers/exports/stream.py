"""Exporting a list as CSV (the use case): the rows are the list
resolvers' own — the same filter language, checks, visibility and keyset
pages the GraphQL lists use — read a page at a time while the file is
written, each page drawn from the caller's rate-limit budget like a query
that delivered its cells. The export is an event on the log (who exported
which list with which filter), as LGPD wants exports traceable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from revgraph.resolvers.activities import list_tasks
from revgraph.resolvers.companies import list_companies
from revgraph.resolvers.contact_queries import list_contacts
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.deal_queries import list_deals
from revgraph.resolvers.errors import AuthError, LimitExceeded
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.exports.cells import BOM, SAO_PAULO, Dialect
from revgraph.resolvers.exports.columns import ENTITIES, Column, Entity, columns_of, headers, page_of, values
from revgraph.resolvers.filtering import stored_filter
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.inbox.queries import list_conversations
from revgraph.resolvers.pagination import Page
from revgraph.resolvers.rate_limit import Budget, RateLimiter
from revgraph.resolvers.revocations import credential_active

Lister = Callable[..., Awaitable[Page]]
LISTS: dict[str, Lister] = {
    "contacts": list_contacts,
    "companies": list_companies,
    "deals": list_deals,
    "conversations": list_conversations,
    "tasks": list_tasks,
}
# Lists whose resolver takes a `search` (tasks have none).
SEARCHABLE = frozenset({"contacts", "companies", "deals", "conversations"})

# The exported lists, as people read them.
LIST_NAMES = {
    "contacts": N_("contacts"),
    "companies": N_("companies"),
    "deals": N_("deals"),
    "conversations": N_("conversations"),
    "tasks": N_("tasks"),
}


@dataclass
class Export:
    """A started export: its first page is read (so a bad filter or an
    exhausted budget is refused before any byte is sent); `chunks()` writes
    the file, a chunk per page."""

    ctx: Context
    entity: Entity
    dialect: Dialect
    columns: list[Column]
    window: dict[str, Any]
    page: Page
    limiter: RateLimiter | None
    budget: Budget | None
    rows: int = 0

    @property
    def file_name(self) -> str:
        day = datetime.now(SAO_PAULO).date().isoformat()
        return f"{self.entity.name}-{day}.csv"

    async def chunks(self) -> AsyncIterator[bytes]:
        """BOM and header, then each page's lines as it is read. The budget
        running out or the credential revoked mid-way ends the response
        without its last chunk, so no client takes a cut file for a whole one."""
        yield (BOM + self.dialect.lines([headers(self.columns)])).encode()
        page = self.page
        while True:
            yield await self._lines(page)
            if not page.has_next_page or not page.cursors:
                return
            actor = self.ctx.require_actor()
            # A long export stops once its credential is revoked (logOut, a
            # revoked key, a deactivated user), as a websocket closes then.
            if not await credential_active(actor):
                raise AuthError("UNAUTHENTICATED", _("The credential was revoked during the export."))
            await _admit(self.limiter, actor, self._page_cost())
            page = await self._read(page.cursors[-1])

    async def _lines(self, page: Page) -> bytes:
        named = await page_of(self.ctx, self.entity, page.items)
        cells = ([self.dialect.cell(value) for value in row] for row in values(self.columns, named))
        text = self.dialect.lines(cells)
        self.rows += len(page.items)
        if self.limiter is not None:
            # As a query delivering the page's nodes with their fields.
            await self.limiter.charge(self.ctx.require_actor(), len(page.items) * (len(self.columns) + 1) + 1)
        return text.encode()

    async def _read(self, after: str | None) -> Page:
        size = self.ctx.settings.limits.max_page_size
        return await LISTS[self.entity.name](self.ctx, first=size, after=after, **self.window)

    def _page_cost(self) -> int:
        return self.ctx.settings.limits.max_page_size * (len(self.columns) + 1) + 1


async def _admit(limiter: RateLimiter | None, actor: Actor, cost: int) -> Budget | None:
    if limiter is None:
        return None
    budget = await limiter.admit(actor, cost)
    if not budget.allowed:
        reset = datetime.fromtimestamp(budget.reset, UTC).isoformat()
        raise LimitExceeded(
            _(
                "Rate limit exhausted: {budget_remaining} of {budget_limit} points left and the next page of the export may cost {cost}. The budget resets at {reset}.",
                budget_remaining=budget.remaining,
                budget_limit=budget.limit,
                cost=cost,
                reset=reset,
            )
        )
    return budget


async def start_export(
    ctx: Context,
    list_name: str,
    *,
    filter: Mapping[str, Any] | None,
    search: str | None = None,
    separator: str = ",",
    limiter: RateLimiter | None = None,
) -> Export:
    """Check the filter and the budget, read the first page and record the
    export on the log; raises DomainError (INVALID filter), LimitExceeded
    or AuthError before anything is written."""
    actor = ctx.require_actor()
    entity = ENTITIES[list_name]
    window: dict[str, Any] = {"filter": dict(filter) if filter else None}
    if search is not None and list_name in SEARCHABLE:
        window["search"] = search
    columns = await columns_of(ctx, entity)
    export = Export(
        ctx, entity, Dialect(separator), columns, window, Page([], [], False, False), limiter, None
    )
    export.budget = await _admit(limiter, actor, export._page_cost())
    export.page = await export._read(None)
    async with unit_of_work():
        await record_event(
            actor,
            actor.workspace_id,
            "data.exported",
            N_("Exported {list_name} as CSV", list_name=LIST_NAMES.get(list_name, list_name)),
            data={
                "list": list_name,
                "filter": stored_filter(window["filter"]) if window["filter"] else None,
                "search": window.get("search") or None,
                "format": "csv",
                "separator": separator,
                "apiKeyId": actor.api_key_id,
            },
        )
    return export
