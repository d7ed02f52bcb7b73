"""GraphQL types of pipelines, stages and deals (their operations: schema/deal_operations.py)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import deal_queries, loaders, pipelines, timeline
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id, row_id
from revgraph.resolvers.read_rows import RAW, is_null
from revgraph.resolvers.visibility import scope_of
from revgraph.schema.common import (
    Node,
    ctx_of,
    query,
    selected_fields,
    selects,
)
from revgraph.schema.connections import Ahead, Connection, Joinable, build, edges_shown, preload_page
from revgraph.schema.contacts import CONTACT_COLUMNS, Contact  # at import, not per card (400 on a board)
from revgraph.schema.custom_fields import CUSTOM_FIELDS_HELP
from revgraph.schema.deal_filters import DealFilter, DealStatus, StageKind, deal_filter_dict
from revgraph.schema.identity import USER_COLUMNS, User
from revgraph.schema.lean_execution import Preload, fields_from_row, member_from_row
from revgraph.schema.lean_rows import shown_from_row
from revgraph.schema.poll import CHANGES_WITH_TIME

if TYPE_CHECKING:
    from revgraph.schema.activities import TimelineConnection
    from revgraph.schema.automations import AutomationRule
    from revgraph.schema.companies import Company
    from revgraph.schema.developments import Development


async def visible_deal(ctx: Context, deal_id: int) -> Any:
    """A deal reached through an edge, if the caller may see it."""
    row = await _deal_loader(ctx).load(deal_id)
    if row is None or not (await scope_of(ctx)).sees_owner(row.owner_id):
        return None
    return row


def _deal_loader(ctx: Context) -> loaders.BatchLoader:
    from revgraph.models.pipeline import Deal as DealRow

    return loaders.loader(ctx, "deals", lambda ws: loaders.by_id(ws, DealRow))


def ctx_for(obj: Any, info: Info) -> Context:
    """A record reached through a board event carries the subscriber's
    per-event context (shared loaders); otherwise the request's."""
    return getattr(obj, "ctx", None) or ctx_of(info)


@strawberry.type(description="A column of the board, with the gates a deal must pass to enter it.")
class Stage(Node):
    name: str = strawberry.field(description="Column title.")
    position: int = strawberry.field(description="Board order, 0 first.")
    kind: StageKind = strawberry.field(description="OPEN, WON or LOST; entering WON/LOST closes the deal.")
    probability: int = strawberry.field(description="Chance to win, 0..100 (weights the forecast).")
    required_fields: list[str] = strawberry.field(
        description='Deal fields required to enter ("value", "expectedCloseDate", "company", "contact", "owner", "development", "title", "currency") or "customFields.<key>".'
    )
    entry_condition: JSON | None = strawberry.field(
        description="The DealFilter a deal must match to enter, or null."
    )
    requires_scheduled_task: bool = strawberry.field(
        description="Entering needs an open task with a future due date on the deal or its contact."
    )
    row: strawberry.Private[Any]
    # Its deals' totals when read with the pipeline's other columns (or None).
    totals: strawberry.Private[Any] = None

    @strawberry.field(description="Live deals in this stage the caller may see, in card order.")
    async def deals(
        self, info: Info, first: int | None = None, after: str | None = None, filter: DealFilter | None = None
    ) -> DealConnection:
        ctx, filters, with_total = ctx_of(info), deal_filter_dict(filter), selects(info, "totalCount")
        if after is not None:
            page = await query(
                deal_queries.stage_deals(
                    ctx, self.row, first=first, after=after, filter=filters, with_total=with_total
                )
            )
            return await deal_connection(info, page)
        # The board: every column asked for alike is read in one batch
        # (deal_queries.board_columns), and what its cards show is loaded
        # for all the columns' cards at once.
        columns = deal_queries.board_column_loader(
            ctx, first=first, filter=filters, with_total=with_total, **_cards_show(info)
        )
        page, cards, shared = await query(columns.load(self.row.id))
        # Once per selection for the whole board (columns of one query
        # share their field node; an alias with another selection loads its own).
        key = id(info._raw_info.field_nodes[0])
        loading = shared.get(key)
        if loading is None:
            loading = shared[key] = asyncio.ensure_future(preload_deal_edges(info, cards))
        await asyncio.shield(loading)
        return build(DealConnection, page, Deal.of)

    @strawberry.field(
        description="Automations on entering or leaving this stage (DEAL_STAGE_CHANGED rules naming it). ADMIN sees them; others get an empty list."
    )
    async def automations(
        self, info: Info
    ) -> list[Annotated[AutomationRule, strawberry.lazy("revgraph.schema.automations")]]:
        from revgraph.resolvers.automations.rules import stage_rules
        from revgraph.schema.automations import AutomationRule

        return [AutomationRule.of(r) for r in await query(stage_rules(ctx_of(info), self.row.id))]

    # The totals below are answered synchronously when the stage came with
    # them (Pipeline.stages reads every column's at once when they are
    # shown): no coroutine, task and loop turn per column and field.
    @strawberry.field(description="Number of live deals in this stage the caller may see.")
    def deal_count(self, info: Info) -> int:
        totals = self.totals
        return totals.count if totals is not None else _stage_total(info, self.row, "count")

    @strawberry.field(description="Sum of the values of those deals (deals without a value count as 0).")
    def total_value(self, info: Info) -> Decimal:
        totals = self.totals
        return totals.total if totals is not None else _stage_total(info, self.row, "total")

    @strawberry.field(description="totalValue × probability / 100: the stage's forecast.")
    def weighted_value(self, info: Info) -> Decimal:
        totals = self.totals
        return totals.weighted if totals is not None else _stage_total(info, self.row, "weighted")

    @classmethod
    def of(cls, row: Any) -> Stage:
        return cls(
            id=strawberry.ID(encode_id("Stage", row.id)),
            name=row.name,
            position=row.position,
            kind=StageKind(row.kind),
            probability=row.probability,
            required_fields=list(row.required_fields or []),
            entry_condition=row.entry_condition,
            requires_scheduled_task=row.requires_scheduled_task,
            row=row,
        )


async def _stage_total(info: Info, row: Any, name: str) -> Any:
    """One of a stage's totals when it came without them (resolvers/pipelines.py)."""
    return getattr(await pipelines.stage_totals(ctx_of(info), row), name)


# Stage fields answered from the stage's totals (Pipeline.stages).
_TOTALS_SHOWN = frozenset({"dealCount", "totalValue", "weightedValue"})


@strawberry.type(description="A sales pipeline (funnel): ordered stages with deals.")
class Pipeline(Node):
    name: str = strawberry.field(description="Pipeline name.")
    board_sequence: int = strawberry.field(
        description="The sequence of the newest board event. Read the board and this in one query, then subscribe with boardEvents(since: boardSequence): nothing is missed and nothing is seen twice."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="Active stages in board order.")
    async def stages(self, info: Info) -> list[Stage]:
        ctx = ctx_of(info)
        rows = await pipelines.stages_of_pipeline(ctx).load(self.row.id)
        stages = [Stage.of(r) for r in rows]
        shown = selected_fields(info)
        if rows and shown is not None and not shown.isdisjoint(_TOTALS_SHOWN):
            # Every column's totals in the one grouped read they took
            # anyway, so each total is answered synchronously (Stage).
            for stage, totals in zip(stages, await pipelines.stages_totals(ctx, rows), strict=True):
                stage.totals = totals
        return stages

    @classmethod
    def of(cls, row: Any) -> Pipeline:
        return cls(
            id=strawberry.ID(encode_id("Pipeline", row.id)),
            name=row.name,
            board_sequence=row.board_sequence,
            row=row,
        )


@strawberry.type(description="One stage move of a deal.")
class StageTransition:
    at: datetime = strawberry.field(description="When the deal entered `to`.")
    row: strawberry.Private[Any]

    @strawberry.field(name="from", description="The stage left; null when the deal was created.")
    async def from_(self, info: Info) -> Stage | None:
        if self.row.from_stage_id is None:
            return None
        row = await _stage_loader(ctx_of(info)).load(self.row.from_stage_id)
        return Stage.of(row) if row else None

    @strawberry.field(description="The stage entered.")
    async def to(self, info: Info) -> Stage:
        return Stage.of(await _stage_loader(ctx_of(info)).load(self.row.to_stage_id))

    @strawberry.field(description="Who moved it; null for automations and the system.")
    async def actor(self, info: Info) -> User | None:
        if self.row.actor_user_id is None:
            return None
        row = await loaders.users(ctx_of(info)).load(self.row.actor_user_id)
        return User.of(row) if row else None

    @strawberry.field(
        description="Seconds the deal spent in `to` (until the next move, or until now).",
        metadata=CHANGES_WITH_TIME,
    )
    def seconds_in_stage(self) -> int:
        end = getattr(self.row, "left_at", None)
        from datetime import UTC

        end = end or datetime.now(UTC)
        return max(0, int((end - self.row.at).total_seconds()))


def _stage_loader(ctx: Context) -> loaders.BatchLoader:
    from revgraph.models.pipeline import Stage as StageRow

    return loaders.loader(ctx, "stages", lambda ws: loaders.by_id(ws, StageRow))


def _pipeline_loader(ctx: Context) -> loaders.BatchLoader:
    from revgraph.models.pipeline import Pipeline as PipelineRow

    return loaders.loader(ctx, "pipelines", lambda ws: loaders.by_id(ws, PipelineRow))


def _contact_shown(row: Any) -> bool:
    """Whoever may see a deal sees its contact (the hand-off rule,
    resolvers/visibility.py), unless it is in the trash."""
    return row is not None and is_null(row, "deleted_at")


@shown_from_row(_contact_shown, Contact.of)  # a card's contact, from its joined row (schema/lean_rows.py)
def _live_contact(row: Any) -> Any:
    """A deal's contact, if shown (`_contact_shown`)."""
    return Contact.of(row) if _contact_shown(row) else None


def _live_company(row: Any) -> Any:
    """A deal's company: whoever may see the deal sees it
    (resolvers/visibility.py), unless it is in the trash."""
    from revgraph.schema.companies import Company

    if row is None or row.deleted_at is not None:
        return None
    return Company.of(row)


# A deal's owner, contact and company (schema/lean_execution.py `Preload`):
# over the page's preload, or what the card's row carries (`joined`).
_OWNER = Preload(
    loaders.users, attrgetter("row.owner_id"), User.of_row, shared=True, joined="owner", own_context="ctx"
)
_CONTACT = Preload(  # shared: a contact with several deals on a board is completed once
    loaders.contacts,
    attrgetter("row.contact_id"),
    _live_contact,
    shared=True,
    joined="contact",
    own_context="ctx",
)
_COMPANY = Preload(
    loaders.companies, attrgetter("row.company_id"), _live_company, joined="company", own_context="ctx"
)


@strawberry.type(
    description="A negotiation tied to a contact and/or company, moving through a pipeline's stages."
)
class Deal(Node):
    title: str = strawberry.field(description="What is being negotiated.")
    value: Decimal | None = strawberry.field(
        description='Exact amount, e.g. "1250000.00"; null when unknown.'
    )
    currency: str = strawberry.field(description="ISO 4217; defaults to the workspace's.")
    status: DealStatus = strawberry.field(description="OPEN, WON or LOST (follows the stage kind).")
    expected_close_date: datetime | None = strawberry.field(description="When the deal is expected to close.")
    lost_reason: str | None = strawberry.field(
        description="Why it was lost (set when entering a LOST stage)."
    )
    custom_fields: JSON = strawberry.field(description=CUSTOM_FIELDS_HELP)
    version: int = strawberry.field(
        description="+1 on every change; pass as expectedVersion for optimistic concurrency."
    )
    number: int = strawberry.field(
        description='The deal\'s readable number in the workspace: 1, 2, 3... in order of creation. `search: "123"` or `"#123"` finds it.'
    )
    stage_entered_at: datetime = strawberry.field(description="When the deal entered its current stage.")
    created_at: datetime = strawberry.field(description="Creation time.")
    deleted_at: datetime | None = strawberry.field(description="When it was trashed; null when live.")
    row: strawberry.Private[Any]
    ctx: strawberry.Private[Context | None] = None

    @strawberry.field(description="The deal's pipeline.")
    async def pipeline(self, info: Info) -> Pipeline:
        return Pipeline.of(await _pipeline_loader(ctx_for(self, info)).load(self.row.pipeline_id))

    @strawberry.field(description="The deal's current stage.")
    async def stage(self, info: Info) -> Stage:
        return Stage.of(await _stage_loader(ctx_for(self, info)).load(self.row.stage_id))

    # owner, contact and company answer over what the page loaded ahead, or
    # the card's row carries (the board: read with the cards), without a
    # resolver call per card (schema/lean_execution.py `Preload`); a
    # record of a live event answers with its subscriber's context.
    @strawberry.field(description="The deal's owner.")
    @_OWNER.field
    def owner(self, info: Info) -> User | None:
        return _OWNER.resolve(self, info)

    @strawberry.field(description="The deal's contact; null if none or not visible to the caller.")
    @_CONTACT.field
    def contact(self, info: Info) -> Annotated[Contact, strawberry.lazy("revgraph.schema.contacts")] | None:
        return _CONTACT.resolve(self, info)

    @strawberry.field(description="The deal's company; null if none or not visible to the caller.")
    @_COMPANY.field
    def company(self, info: Info) -> Annotated[Company, strawberry.lazy("revgraph.schema.companies")] | None:
        return _COMPANY.resolve(self, info)

    @strawberry.field(
        description='The development of interest ("empreendimento de interesse"); null if none. An archived one stays.'
    )
    async def development(
        self, info: Info
    ) -> Annotated[Development, strawberry.lazy("revgraph.schema.developments")] | None:
        from revgraph.schema.developments import development_of

        return await development_of(ctx_for(self, info), self.row.development_id)

    @strawberry.field(description="Everything that happened to the deal, newest first.")
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[TimelineConnection, strawberry.lazy("revgraph.schema.activities")]:
        from revgraph.schema.activities import timeline_page

        page = await query(
            timeline.deal_timeline(
                ctx_for(self, info),
                self.row.id,
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        return await timeline_page(info, page)

    @strawberry.field(
        description="Seconds since the deal entered its current stage.", metadata=CHANGES_WITH_TIME
    )
    def seconds_in_stage(self) -> int:
        from datetime import UTC

        return max(0, int((datetime.now(UTC) - self.row.stage_entered_at).total_seconds()))

    @strawberry.field(description="Every stage move, oldest first, with actor and time.")
    async def stage_history(self, info: Info) -> list[StageTransition]:
        rows = await pipelines.stage_history(ctx_for(self, info), self.row.id)
        for current, following in itertools.pairwise(rows):
            current.left_at = following.at
        return [StageTransition(at=r.at, row=r) for r in rows]

    @classmethod
    def of(cls, row: Any, ctx: Context | None = None) -> Deal:
        """The deal of a row; its fields are computed as they are read (`_deal_of`)."""
        return _deal_of(row) if ctx is None else _deal_of(row, ctx=ctx)  # None: the class's default


CENTS = Decimal("0.01")


# A display row's value still as the driver returned it (read_rows.Row
# converts it on first read, as DecimalField.to_python_value does: to a
# Decimal of 2 places, which is what a card shows).
_RAW_VALUE = RAW + "value"


def _money(row: Any) -> Decimal | None:
    """The value to 2 places: converted once, straight from a display row's
    raw column (its own conversion would quantize it to the same places
    first), or from a model's converted one."""
    columns = getattr(row, "__dict__", None)
    value = _NOT_RAW if columns is None else columns.get(_RAW_VALUE, _NOT_RAW)
    if value is _NOT_RAW:
        value = row.value
    if value is None:
        return None
    return (value if type(value) is Decimal else Decimal(value)).quantize(CENTS)


_NOT_RAW = object()


_deal_of = fields_from_row(
    Deal,
    id=row_id("Deal"),
    title=attrgetter("title"),
    value=_money,
    currency=attrgetter("currency"),
    status=member_from_row(DealStatus, "status"),
    expected_close_date=attrgetter("expected_close_date"),
    lost_reason=attrgetter("lost_reason"),
    custom_fields=lambda row: row.custom_fields or {},
    version=attrgetter("version"),
    number=attrgetter("number"),
    stage_entered_at=attrgetter("stage_entered_at"),
    created_at=attrgetter("created_at"),
    deleted_at=attrgetter("deleted_at"),
)


# The columns of a deal each field of Deal reads (`_deal_of` and the
# resolvers): a read that shows only these fields needs only these columns
# (a board's cards, deal_queries.board_columns `only`).
DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": ("title",),
    "value": ("value",),
    "currency": ("currency",),
    "status": ("status",),
    "expectedCloseDate": ("expected_close_date",),
    "lostReason": ("lost_reason",),
    "customFields": ("custom_fields",),
    "version": ("version",),
    "number": ("number",),
    "stageEnteredAt": ("stage_entered_at",),
    "createdAt": ("created_at",),
    "deletedAt": ("deleted_at",),
    "pipeline": ("pipeline_id",),
    "stage": ("stage_id",),
    "owner": ("owner_id",),
    "contact": ("contact_id",),
    "company": ("company_id",),
    "development": ("development_id",),
    "timeline": ("id",),
    "secondsInStage": ("stage_entered_at",),
    "stageHistory": ("id",),
}


def _cards_show(info: Info) -> dict[str, Any]:
    """What a board's cards show, as deal_queries.board_column_loader takes
    it: `only`, the deal's columns its fields read (DEAL_COLUMNS; None when
    a field is not there: every column), and `shown`, the records the
    cards show (owner, contact, company) and the columns of each they need,
    read in the cards' statement (read_rows.joins_for with deal_queries.CARD_EDGES): the columns of
    the fields shown when all are plain columns (User.of's, Contact.of's),
    else every column. Kept per selection (the columns of one board share
    their field node)."""
    node = info._raw_info.field_nodes[0]
    kept = _shown_by_node.get(id(node))
    if kept is not None and kept[0] is node:
        return kept[1]
    card = selected_fields(info, "edges", "node") or set()
    card.discard("__typename")
    only = None
    if card <= DEAL_COLUMNS.keys():
        only = tuple(sorted({column for field in card for column in DEAL_COLUMNS[field]}))
    known = edges_shown(info, _CARD_EDGES)
    if len(_shown_by_node) >= 512:  # as many documents as the parser keeps
        _shown_by_node.clear()
    shows = {"shown": known, "only": only}
    _shown_by_node[id(node)] = (node, shows)  # the node is held, so its id is not reused
    return shows


# Edge, the columns of its plain fields (None: read whole), columns always read.
_CARD_EDGES = (
    Joinable("owner", USER_COLUMNS, tuple(USER_COLUMNS.values())),  # User.of makes every field at once
    Joinable("contact", CONTACT_COLUMNS, ("deleted_at",)),  # _live_contact reads deleted_at
    Joinable("company", None),
)
_shown_by_node: dict[int, tuple[Any, dict[str, Any]]] = {}


async def deal_connection(info: Info, page: Any) -> DealConnection:
    """A page of deals as a connection, with the owners, contacts and
    companies its selection asks for loaded in one batch each, so each
    card's fields answer synchronously."""
    await preload_deal_edges(info, page.items)
    return build(DealConnection, page, Deal.of)


async def preload_deal_edges(info: Info, deals: list[Any]) -> None:
    """Load what the selection shows of these deals' owners, contacts and
    companies, one batch each (those the cards' rows carry are not read
    again: schema/connections.py)."""
    await preload_page(
        info,
        deals,
        Ahead("owner", loaders.users, "owner_id"),
        Ahead("contact", loaders.contacts, "contact_id"),
        Ahead("company", loaders.companies, "company_id"),
    )


async def related_deals(info: Info, first: int | None, after: str | None, **subject: int) -> DealConnection:
    """The live deals of one contact or company (`contact_id=` / `company_id=`)
    that the caller may see, as a connection."""
    page = await query(
        deal_queries.deals_of(
            ctx_of(info), first=first, after=after, with_total=selects(info, "totalCount"), **subject
        )
    )
    return await deal_connection(info, page)


@strawberry.type(name="DealConnection", description="A page of deals.")
class DealConnection(Connection[Deal]):
    pass
