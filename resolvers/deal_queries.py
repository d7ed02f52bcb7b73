"""Reading deals: lists with DealFilter/ordering/search, board columns in
card order, and the deals of a contact or company. All through the
caller's visibility scope."""

from __future__ import annotations

import json
from typing import Any

from tortoise.expressions import Q, RawSQL
from tortoise.functions import Count

from revgraph.models.crm import Company, Contact
from revgraph.models.identity import User
from revgraph.models.pipeline import Deal, Stage
from revgraph.resolvers import filtering, loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.filters import with_custom_fields
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.numbering import or_number
from revgraph.resolvers.pagination import (
    Cursors,
    Page,
    SortKey,
    check_page_size,
    order_keys,
    paginate_for,
)
from revgraph.resolvers.read_rows import Join, Row, joins_for, read_rows
from revgraph.resolvers.validation import search_text
from revgraph.resolvers.visibility import scope_of

ORDER_KEYS = {
    "CREATED_AT": ("created_at", "datetime"),
    "VALUE": ("value", "decimal"),
    "TITLE": ("title_search", "str"),
    "POSITION": ("rank", "int"),
    "EXPECTED_CLOSE_DATE": ("expected_close_date", "datetime"),
}
NULLABLE_ORDER = frozenset({"VALUE", "EXPECTED_CLOSE_DATE"})
# DealFilter fields: what each one tests (resolvers/filtering.py).
DEAL_FIELDS: filtering.FieldMap = {
    "title": filtering.FieldSpec("title", filtering.STRING),
    "number": filtering.FieldSpec("number", filtering.INT),
    "pipeline_id": filtering.FieldSpec("pipeline_id", filtering.ID, "Pipeline"),
    "stage_id": filtering.FieldSpec("stage_id", filtering.ID, "Stage"),
    "owner_id": filtering.FieldSpec("owner_id", filtering.ID, "User"),
    "contact_id": filtering.FieldSpec("contact_id", filtering.ID, "Contact"),
    "development_id": filtering.FieldSpec("development_id", filtering.ID, "Development"),
    "status": filtering.FieldSpec("status", filtering.ONE_OF),
    "value": filtering.FieldSpec("value", filtering.DECIMAL),
    "created_at": filtering.FieldSpec("created_at", filtering.DATETIME),
    # At the top of a filter, `deleted: true` lists the trash instead (as
    # for contacts); inside and/or/not it tests the row like any field.
    "deleted": filtering.FieldSpec("deleted_at", filtering.TRASHED),
}
CARD_ORDER = [SortKey("rank", kind="int"), SortKey("id", kind="int")]


async def _deal_filter_q(ctx: Context, filter_dict: dict[str, Any] | None) -> tuple[Q, bool]:
    """The SQL condition of a DealFilter and whether it asks for the trash."""
    fields = await with_custom_fields(DEAL_FIELDS, ctx.require_actor().workspace_id, "DEAL", filter_dict)
    check_filter(filter_dict, fields, ctx.settings.limits, ["filter"])
    filter_dict = dict(filter_dict or {})
    deleted = bool(filter_dict.pop("deleted", False))
    return filtering.filter_q(filter_dict, fields), deleted


def _search_q(search: str | None) -> Q:
    text = (search or "").strip().lower()
    return or_number(Q(title_search__contains=text), text) if text else Q()


def _sort_keys(order: list[dict[str, Any]] | None) -> tuple[list[SortKey], Q]:
    # Deals without a value or date are left out of a list ordered by that field.
    return order_keys(order, ORDER_KEYS, [{"field": "CREATED_AT", "direction": "DESC"}], NULLABLE_ORDER)


async def list_deals(
    ctx: Context,
    *,
    filter: dict[str, Any] | None = None,
    order: list[dict[str, Any]] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    extra: Q | None = None,
    with_total: bool = False,
) -> Page:
    """Deals the caller may see, filtered, searched and ordered (default: newest first)."""
    scope = await scope_of(ctx)
    condition, deleted = await _deal_filter_q(ctx, filter)
    search = search_text(search, ctx.settings.limits, ["search"])
    keys, non_null = _sort_keys(order)
    query = Deal.filter(scope.owner_q(), condition, _search_q(search), non_null)
    query = query.filter(deleted_at__isnull=False) if deleted else query.filter(deleted_at=None)
    if extra is not None:
        query = query.filter(extra)
    return await paginate_for(
        ctx,
        query,
        keys,
        first=first,
        after=after,
        last=last,
        before=before,
        with_total=with_total,
        as_rows=True,
    )


async def stage_deals(
    ctx: Context,
    stage: Stage,
    *,
    first: int | None,
    after: str | None,
    filter: dict[str, Any] | None,
    with_total: bool = False,
) -> Page:
    """A board column: the live deals of a stage, in card order."""
    scope = await scope_of(ctx)
    condition, _ = await _deal_filter_q(ctx, filter)
    query = Deal.filter(scope.owner_q(), condition, stage_id=stage.id, deleted_at=None)
    return await paginate_for(
        ctx,
        query,
        CARD_ORDER,
        first=first,
        after=after,
        with_total=with_total,
        as_rows=True,
    )


# Each card's place in its column, by the card order (CARD_ORDER).
_PLACE = "rg_place"
_PLACE_SQL = 'ROW_NUMBER() OVER (PARTITION BY "stage_id" ORDER BY "rank", "id")'
_CARDS_ORDER = (("stage_id", False), ("rank", False), ("id", False))
# The columns every card keeps: its column, its cursor's, the joins' workspace.
_CARD_KEYS = ("id", "stage_id", "rank", "workspace_id")
# What a card may show read in its own statement (read_rows.Join): the
# records a deal points to, by name, model and column.
CARD_EDGES = {
    "owner": (User, "owner_id"),
    "contact": (Contact, "contact_id"),
    "company": (Company, "company_id"),
}


async def board_columns(
    ctx: Context,
    stage_ids: list[int],
    *,
    first: int | None,
    filter: dict[str, Any] | None,
    with_total: bool = False,
    joins: tuple[Join, ...] = (),
    only: tuple[str, ...] | None = None,
) -> list[Page]:
    """Many board columns at once, as `stage_deals` reads one (no cursor):
    the first cards of every stage in one statement — the live deals the
    caller may see, numbered per column by a window in card order, the
    first `first` + 1 of each kept (the extra one says there is a next
    page) — and, when totalCount is asked, every column's count in one
    grouped statement. A board costs the same SQL for 2 columns or 20, and
    for 2 cards or 100 (tests/pipeline/test_board_query.py). `joins`: what
    the cards show of the records they point to (owner, contact), read in
    the cards' statement (`joins_for(CARD_EDGES, …)`, resolvers/read_rows.py `Join`);
    `only`: the deals' columns the cards show (None: every one), to which
    the card order's, the column's and the joins' own are added.

    The window numbers every live card of the columns the caller may see
    before keeping the first ones (the index on stage, rank, id gives them
    in order): a column of thousands of closed deals costs a scan of
    them, which per-column LIMITs would not; against that, one round trip
    instead of one per column."""
    limits = ctx.settings.limits
    check_page_size(first, None, maximum=limits.max_page_size)
    size = limits.default_page_size if first is None else first
    scope = await scope_of(ctx)
    condition, _ = await _deal_filter_q(ctx, filter)
    query = Deal.filter(scope.owner_q(), condition, stage_id__in=stage_ids, deleted_at=None)
    rows: list[Row] = []
    if size and stage_ids:
        numbered = query.annotate(**{_PLACE: RawSQL(_PLACE_SQL)})
        rows = await read_rows(
            numbered,
            extra=(_PLACE,),
            outer=lambda sql: (
                f'SELECT * FROM ({sql}) "cards" WHERE "{_PLACE}" <= {int(size) + 1} '
                'ORDER BY "stage_id", "rank", "id"'
            ),
            joins=joins,
            order=_CARDS_ORDER,
            only=None if only is None else (*only, *_CARD_KEYS, *(join.column for join in joins)),
        )
    totals: dict[int, int] = {}
    if with_total and stage_ids:
        counted = await query.group_by("stage_id").annotate(n=Count("id")).values("stage_id", "n")
        totals = {row["stage_id"]: row["n"] for row in counted}
    columns: dict[int, list[Row]] = {stage_id: [] for stage_id in stage_ids}
    for row in rows:
        columns[row.stage_id].append(row)
    pages = []
    for stage_id in stage_ids:
        cards = columns[stage_id]
        shown = cards[:size]
        pages.append(
            Page(
                items=shown,
                cursors=Cursors(shown, CARD_ORDER),
                has_next_page=len(cards) > size,
                has_previous_page=False,
                count_query=query.filter(stage_id=stage_id),
                _total=totals.get(stage_id, 0) if with_total else None,
            )
        )
    return pages


def board_column_loader(
    ctx: Context,
    *,
    first: int | None,
    filter: dict[str, Any] | None,
    with_total: bool,
    shown: dict[str, tuple[str, ...] | None] | None = None,
    only: tuple[str, ...] | None = None,
) -> loaders.BatchLoader:
    """The request's loader of board columns read alike (same page size,
    filter and totalCount): every column a board query asks for in the
    same turn of the loop becomes one `board_columns` call. A column's
    value is its page, the cards of every column of the batch (so that
    what the cards show is loaded for all of them at once) and a memo the
    columns of the batch share (the loading of those, done once). `shown`:
    the records the cards show, read with them (`joins_for(CARD_EDGES, …)`); `only`:
    the deals' columns they show (None: every one)."""
    shown = shown or {}
    key = json.dumps([first, filter, with_total, shown, only], sort_keys=True, default=str)
    joins = joins_for(CARD_EDGES, shown)

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(stage_ids: list[int]) -> list[tuple[Page, list[Row], dict[Any, Any]]]:
            pages = await board_columns(
                ctx, stage_ids, first=first, filter=filter, with_total=with_total, joins=joins, only=only
            )
            cards = [row for page in pages for row in page.items]
            shared: dict[Any, Any] = {}
            return [(page, cards, shared) for page in pages]

        return batch

    return loaders.loader(ctx, f"board_columns:{key}", factory)


async def deals_of(
    ctx: Context,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    first: int | None,
    after: str | None,
    with_total: bool = False,
) -> Page:
    extra = Q(contact_id=contact_id) if contact_id is not None else Q(company_id=company_id)
    return await list_deals(ctx, first=first, after=after, extra=extra, with_total=with_total)
