"""GraphQL operations on pipelines, stages and deals: their inputs,
payloads, queries and mutations (the types are in schema/deals.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import deal_moves, deal_queries, deal_trash, deals, pipelines
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.schema.common import (
    CUSTOM_FIELDS_LIMITS,
    SEARCH_LIMIT,
    DeletePayload,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    query,
    selects,
)
from revgraph.schema.deal_filters import DealFilter, DealOrder, StageKind, deal_filter_dict
from revgraph.schema.deals import Deal, DealConnection, Pipeline, Stage, deal_connection
from revgraph.schema.permissions import ADMIN, AUTHENTICATED


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
    development_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Development of interest (a live one)."
    )
    expected_close_date: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Expected close."
    )
    custom_fields: JSON | None = strawberry.field(default=strawberry.UNSET, description=CUSTOM_FIELDS_LIMITS)
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
    development_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Development of interest: a live one, or the one the deal has; null clears it.",
    )
    expected_close_date: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Expected close."
    )
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET, description=f"Replaces the JSON object. {CUSTOM_FIELDS_LIMITS}"
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
        description=f"Deals the caller may see; `search` matches the title, ignoring case. {SEARCH_LIMIT} "
        "Default order: newest first.",
        permission_classes=AUTHENTICATED,
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
                filter=deal_filter_dict(filter),
                order=order,
                search=search,
                first=first,
                after=after,
                last=last,
                before=before,
                with_total=selects(info, "totalCount"),
            )
        )
        return await deal_connection(info, page)

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
            return {"deleted_id": strawberry.ID(encode_id("Deal", await deal_trash.delete_deal(ctx, id)))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(description="Bring a deal back from the trash.", permission_classes=AUTHENTICATED)
    async def restore_deal(self, info: Info, id: strawberry.ID) -> DealPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deal": Deal.of(await deal_trash.restore_deal(ctx, id))}

        return await mutate(DealPayload, work)
