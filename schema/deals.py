"""GraphQL surface of pipelines, stages and deals."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import deal_moves, deal_queries, deals, loaders, pipelines, timeline
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.visibility import scope_of
from revgraph.schema.common import (
    DateTimeFilter,
    DecimalFilter,
    DeletePayload,
    IDFilter,
    Node,
    OrderDirection,
    StringFilter,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    query,
)
from revgraph.schema.connections import Connection, build
from revgraph.schema.identity import User
from revgraph.schema.permissions import ADMIN, AUTHENTICATED

if TYPE_CHECKING:
    from revgraph.schema.activities import TimelineConnection
    from revgraph.schema.automations import AutomationRule
    from revgraph.schema.companies import Company
    from revgraph.schema.contacts import Contact


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


@strawberry.enum(description="What entering a stage means: still open, won or lost.")
class StageKind(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum(description="A deal's outcome, set by the kind of its stage.")
class DealStatus(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum(description="Fields deals can be ordered by. POSITION is card order within a stage.")
class DealOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    VALUE = "VALUE"
    TITLE = "TITLE"
    POSITION = "POSITION"
    EXPECTED_CLOSE_DATE = "EXPECTED_CLOSE_DATE"


@strawberry.enum(description="What happened to a card on the board.")
class BoardEventKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    MOVED = "MOVED"
    REMOVED = "REMOVED"


@strawberry.input(description="Deals matching every given condition (and/or/not combine filters).")
class DealFilter:
    and_: list[DealFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these."
    )
    or_: list[DealFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="Any of these."
    )
    not_: DealFilter | None = strawberry.field(name="not", default=strawberry.UNSET, description="Not this.")
    title: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    pipeline_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Pipeline.")
    stage_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Current stage.")
    owner_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Owner.")
    contact_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Contact.")
    status: list[DealStatus] | None = strawberry.field(
        default=strawberry.UNSET, description="Any of these statuses."
    )
    value: DecimalFilter | None = strawberry.field(default=strawberry.UNSET, description="Value.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Creation time."
    )
    deleted: bool | None = strawberry.field(default=strawberry.UNSET, description="true: only the trash.")


@strawberry.input(description="One ordering key.")
class DealOrder:
    field: DealOrderField = strawberry.field(description="Field to order by.")
    direction: OrderDirection = strawberry.field(description="ASC or DESC.")


def _filter_dict(value: Any) -> dict[str, Any] | None:
    plain = input_dict(value)
    return plain or None


@strawberry.type(description="A column of the board, with the gates a deal must pass to enter it.")
class Stage(Node):
    name: str = strawberry.field(description="Column title.")
    position: int = strawberry.field(description="Board order, 0 first.")
    kind: StageKind = strawberry.field(description="OPEN, WON or LOST; entering WON/LOST closes the deal.")
    probability: int = strawberry.field(description="Chance to win, 0..100 (weights the forecast).")
    required_fields: list[str] = strawberry.field(
        description='Deal fields required to enter ("value", "expectedCloseDate", "company", "contact", "owner", "title", "currency") or "customFields.<key>".'
    )
    entry_condition: JSON | None = strawberry.field(
        description="The DealFilter a deal must match to enter, or null."
    )
    requires_scheduled_task: bool = strawberry.field(
        description="Entering needs an open task with a future due date on the deal or its contact."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="Live deals in this stage the caller may see, in card order.")
    async def deals(
        self, info: Info, first: int | None = None, after: str | None = None, filter: DealFilter | None = None
    ) -> DealConnection:
        page = await query(
            deal_queries.stage_deals(
                ctx_of(info), self.row, first=first, after=after, filter=_filter_dict(filter)
            )
        )
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

    @strawberry.field(description="Number of live deals in this stage the caller may see.")
    async def deal_count(self, info: Info) -> int:
        return (await pipelines.stage_totals(ctx_of(info), self.row)).count

    @strawberry.field(description="Sum of the values of those deals (deals without a value count as 0).")
    async def total_value(self, info: Info) -> Decimal:
        return (await pipelines.stage_totals(ctx_of(info), self.row)).total

    @strawberry.field(description="totalValue × probability / 100: the stage's forecast.")
    async def weighted_value(self, info: Info) -> Decimal:
        return (await pipelines.stage_totals(ctx_of(info), self.row)).weighted

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


@strawberry.type(description="A sales pipeline (funnel): ordered stages with deals.")
class Pipeline(Node):
    name: str = strawberry.field(description="Pipeline name.")
    board_sequence: int = strawberry.field(
        description="The sequence of the newest board event. Read the board and this in one query, then subscribe with boardEvents(since: boardSequence): nothing is missed and nothing is seen twice."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="Active stages in board order.")
    async def stages(self, info: Info) -> list[Stage]:
        rows = await pipelines.stages_of_pipeline(ctx_of(info)).load(self.row.id)
        return [Stage.of(r) for r in rows]

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

    @strawberry.field(description="Seconds the deal spent in `to` (until the next move, or until now).")
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
    custom_fields: JSON = strawberry.field(description="Free JSON object of workspace-specific fields.")
    version: int = strawberry.field(
        description="+1 on every change; pass as expectedVersion for optimistic concurrency."
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

    @strawberry.field(description="The deal's owner.")
    async def owner(self, info: Info) -> User | None:
        if self.row.owner_id is None:
            return None
        row = await loaders.users(ctx_for(self, info)).load(self.row.owner_id)
        return User.of(row) if row else None

    @strawberry.field(description="The deal's contact; null if none or not visible to the caller.")
    async def contact(
        self, info: Info
    ) -> Annotated[Contact, strawberry.lazy("revgraph.schema.contacts")] | None:
        from revgraph.schema.contacts import Contact

        if self.row.contact_id is None:
            return None
        ctx = ctx_for(self, info)
        row = await loaders.contacts(ctx).load(self.row.contact_id)
        if row is None or row.deleted_at is not None or not (await scope_of(ctx)).sees_owner(row.owner_id):
            return None
        return Contact.of(row)

    @strawberry.field(description="The deal's company; null if none or not visible to the caller.")
    async def company(
        self, info: Info
    ) -> Annotated[Company, strawberry.lazy("revgraph.schema.companies")] | None:
        from revgraph.schema.companies import Company

        if self.row.company_id is None:
            return None
        ctx = ctx_for(self, info)
        row = await loaders.companies(ctx).load(self.row.company_id)
        if row is None or row.deleted_at is not None or not (await scope_of(ctx)).sees_owner(row.owner_id):
            return None
        return Company.of(row)

    @strawberry.field(description="Everything that happened to the deal, newest first.")
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[TimelineConnection, strawberry.lazy("revgraph.schema.activities")]:
        from revgraph.schema.activities import timeline_connection

        page = await query(timeline.deal_timeline(ctx_for(self, info), self.row.id, first=first, after=after))
        return timeline_connection(page)

    @strawberry.field(description="Seconds since the deal entered its current stage.")
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
        return cls(
            id=strawberry.ID(encode_id("Deal", row.id)),
            title=row.title,
            value=Decimal(row.value).quantize(Decimal("0.01")) if row.value is not None else None,
            currency=row.currency,
            status=DealStatus(row.status),
            expected_close_date=row.expected_close_date,
            lost_reason=row.lost_reason,
            custom_fields=row.custom_fields or {},
            version=row.version,
            stage_entered_at=row.stage_entered_at,
            created_at=row.created_at,
            deleted_at=row.deleted_at,
            row=row,
            ctx=ctx,
        )


@strawberry.type(name="DealConnection", description="A page of deals.")
class DealConnection(Connection[Deal]):
    pass


@strawberry.input(description="A stage of a new pipeline.")
class StageInput:
    name: str = strawberry.field(description="Column title, unique in the pipeline.")
    kind: StageKind | None = strawberry.field(default=StageKind.OPEN, description="OPEN, WON or LOST.")
    probability: int | None = strawberry.field(default=0, description="0..100.")
    required_fields: list[str] | None = strawberry.field(
        default_factory=list, description="Deal fields required to enter."
    )
    entry_condition: DealFilter | None = strawberry.field(
        default=None, description="A DealFilter a deal must match to enter."
    )
    requires_scheduled_task: bool | None = strawberry.field(
        default=False, description="Entering needs an open task with a future due date."
    )


@strawberry.input(description="A new pipeline with its stages in board order.")
class PipelineInput:
    name: str = strawberry.field(description="Pipeline name.")
    stages: list[StageInput] = strawberry.field(description="At least one stage, in board order.")


@strawberry.input(description="Changes to a stage; omitted fields stay.")
class StageUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    probability: int | None = strawberry.field(default=strawberry.UNSET, description="0..100.")
    required_fields: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the list."
    )
    entry_condition: DealFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the condition; null removes it."
    )
    requires_scheduled_task: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Scheduled-task rule."
    )


@strawberry.input(description="A new deal.")
class DealInput:
    title: str = strawberry.field(description="What is being negotiated.")
    pipeline_id: strawberry.ID = strawberry.field(description="Pipeline.")
    stage_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Default: the pipeline's first stage; a later stage must pass its gates.",
    )
    value: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Exact amount, ≥ 0, 2 decimals."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 4217; default: the workspace's currency."
    )
    contact_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Contact.")
    company_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Company.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Owner; default: the creator when an AGENT."
    )
    expected_close_date: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Expected close."
    )
    custom_fields: JSON | None = strawberry.field(default=strawberry.UNSET, description="JSON object.")
    lost_reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required when creating straight into a LOST stage."
    )


@strawberry.input(description="Changes to a deal; omitted fields stay, null clears.")
class DealUpdateInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    value: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Value.")
    currency: str | None = strawberry.field(default=strawberry.UNSET, description="Currency.")
    contact_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Contact.")
    company_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Company.")
    owner_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Owner.")
    expected_close_date: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Expected close."
    )
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the JSON object."
    )


@strawberry.input(description="Move a card to a stage, optionally filling what the stage requires.")
class MoveDealInput:
    deal_id: strawberry.ID = strawberry.field(description="The deal.")
    stage_id: strawberry.ID = strawberry.field(description="Target stage (same pipeline).")
    after_deal_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Place the card right after this one in the target column; null: at the top.",
    )
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with VERSION_CONFLICT if the deal changed meanwhile."
    )
    patch: DealUpdateInput | None = strawberry.field(
        default=None,
        description="Fill what the target stage requires, atomically with the move (still one MOVED event).",
    )
    lost_reason: str | None = strawberry.field(
        default=None, description="Required when moving to a LOST stage."
    )


@strawberry.type(description="Result of a pipeline mutation.")
class PipelinePayload:
    pipeline: Pipeline | None = strawberry.field(default=None, description="The pipeline.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of a stage mutation.")
class StagePayload:
    stage: Stage | None = strawberry.field(default=None, description="The stage.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of a deal mutation.")
class DealPayload:
    deal: Deal | None = strawberry.field(default=None, description="The deal as changed.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why it failed (nothing changed)."
    )


def _stage_spec(stage: StageInput) -> dict[str, Any]:
    spec = input_dict(stage)
    return spec


@strawberry.type
class DealsQuery:
    @strawberry.field(
        description="Deals the caller may see. Default order: newest first.", permission_classes=AUTHENTICATED
    )
    async def deals(
        self,
        info: Info,
        filter: DealFilter | None = None,
        order_by: list[DealOrder] | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DealConnection:
        order = [input_dict(o) for o in order_by] if order_by else None
        page = await query(
            deal_queries.list_deals(
                ctx_of(info),
                filter=_filter_dict(filter),
                order=order,
                search=search,
                first=first,
                after=after,
                last=last,
                before=before,
            )
        )
        return build(DealConnection, page, Deal.of)

    @strawberry.field(
        description="A deal by id; null when missing or not visible.", permission_classes=AUTHENTICATED
    )
    async def deal(self, info: Info, id: strawberry.ID) -> Deal | None:
        pk = pk_of(id, "Deal")
        row = await query(deals.get_deal(ctx_of(info), pk)) if pk else None
        return Deal.of(row) if row else None

    @strawberry.field(description="Active pipelines of the workspace.", permission_classes=AUTHENTICATED)
    async def pipelines(self, info: Info) -> list[Pipeline]:
        return [Pipeline.of(r) for r in await query(pipelines.list_pipelines(ctx_of(info)))]

    @strawberry.field(description="A pipeline by id.", permission_classes=AUTHENTICATED)
    async def pipeline(self, info: Info, id: strawberry.ID) -> Pipeline | None:
        pk = pk_of(id, "Pipeline")
        row = await query(pipelines.get_pipeline(ctx_of(info), pk)) if pk else None
        return Pipeline.of(row) if row else None


@strawberry.type
class DealsMutation:
    @strawberry.mutation(
        description="Create a pipeline with its stages. ADMIN only.", permission_classes=ADMIN
    )
    async def create_pipeline(self, info: Info, input: PipelineInput) -> PipelinePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await pipelines.create_pipeline(
                ctx, name=input.name, stages=[_stage_spec(s) for s in input.stages]
            )
            return {"pipeline": Pipeline.of(row)}

        return await mutate(PipelinePayload, work)

    @strawberry.mutation(
        description="Rename a stage or change its probability and gates. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_stage(self, info: Info, id: strawberry.ID, input: StageUpdateInput) -> StagePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"stage": Stage.of(await pipelines.update_stage(ctx, id, input_dict(input)))}

        return await mutate(StagePayload, work)

    @strawberry.mutation(
        description="Insert a stage at `position` (default: last). ADMIN only.", permission_classes=ADMIN
    )
    async def add_stage(
        self, info: Info, pipeline_id: strawberry.ID, input: StageInput, position: int | None = None
    ) -> StagePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {
                "stage": Stage.of(await pipelines.add_stage(ctx, pipeline_id, _stage_spec(input), position))
            }

        return await mutate(StagePayload, work)

    @strawberry.mutation(
        description="Set the board order of the stages (list every active stage once). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def reorder_stages(
        self, info: Info, pipeline_id: strawberry.ID, stage_ids: list[strawberry.ID]
    ) -> PipelinePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"pipeline": Pipeline.of(await pipelines.reorder_stages(ctx, pipeline_id, stage_ids))}

        return await mutate(PipelinePayload, work)

    @strawberry.mutation(
        description="Remove a stage from the board; a stage with deals needs `moveDealsTo`. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def archive_stage(
        self, info: Info, id: strawberry.ID, move_deals_to: strawberry.ID | None = None
    ) -> StagePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"stage": Stage.of(await pipelines.archive_stage(ctx, id, move_deals_to))}

        return await mutate(StagePayload, work)

    @strawberry.mutation(
        description="Open a deal (default: first stage; a later stage must pass its gates).",
        permission_classes=AUTHENTICATED,
    )
    async def create_deal(self, info: Info, input: DealInput) -> DealPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deal": Deal.of(await deals.create_deal(ctx, input_dict(input)))}

        return await mutate(DealPayload, work)

    @strawberry.mutation(
        description="Change a deal's fields (it may not empty what its stage requires).",
        permission_classes=AUTHENTICATED,
    )
    async def update_deal(
        self, info: Info, id: strawberry.ID, input: DealUpdateInput, expected_version: int | None = None
    ) -> DealPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deal": Deal.of(await deals.update_deal(ctx, id, input_dict(input), expected_version))}

        return await mutate(DealPayload, work)

    @strawberry.mutation(
        description="Move a card to a stage through the stage's gates; one MOVED event.",
        permission_classes=AUTHENTICATED,
    )
    async def move_deal(self, info: Info, input: MoveDealInput) -> DealPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deal": Deal.of(await deal_moves.move_deal(ctx, input_dict(input)))}

        return await mutate(DealPayload, work)

    @strawberry.mutation(
        description="Move a deal to the trash (restorable for 30 days).", permission_classes=AUTHENTICATED
    )
    async def delete_deal(self, info: Info, id: strawberry.ID) -> DeletePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deleted_id": strawberry.ID(encode_id("Deal", await deals.delete_deal(ctx, id)))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(description="Bring a deal back from the trash.", permission_classes=AUTHENTICATED)
    async def restore_deal(self, info: Info, id: strawberry.ID) -> DealPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deal": Deal.of(await deals.restore_deal(ctx, id))}

        return await mutate(DealPayload, work)
