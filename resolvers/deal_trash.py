"""Deals to the trash and back. Both are board events: the card leaves its
column (REMOVED) or comes back at the top of it (CREATED)."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.models.pipeline import Deal
from revgraph.resolvers.card_rank import rank_after
from revgraph.resolvers.context import Context
from revgraph.resolvers.deals import _board_data, _locked_deal, _pipeline_id_of
from revgraph.resolvers.distribution.assign import release_leads
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.pipelines import board_turn, next_board_sequence
from revgraph.resolvers.visibility import scope_of


async def delete_deal(ctx: Context, raw_id: str) -> int:
    """Move a deal to the trash (restorable for the retention period)."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    pipeline_id = await _pipeline_id_of(ctx, scope, raw_id, ["id"])
    async with board_turn(pipeline_id), unit_of_work():
        sequence = await next_board_sequence(pipeline_id)
        deal = await _locked_deal(ctx, scope, raw_id, ["id"])
        deal.deleted_at = datetime.now(UTC)
        deal.version += 1
        await deal.save(update_fields=["deleted_at", "version", "updated_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "deal.deleted",
            N_("Deal {deal} moved to the trash", deal=deal.title),
            data=_board_data(deal, fromStageId=deal.stage_id, owners=[deal.owner_id, deal.owner_id]),
            deal_id=deal.id,
            contact_id=deal.contact_id,
            pipeline_id=deal.pipeline_id,
            board_sequence=sequence,
        )
        await release_leads(actor, actor.workspace_id, deal_id=deal.id, why="trashed")
    return deal.id


async def restore_deal(ctx: Context, raw_id: str) -> Deal:
    """Bring a trashed deal back to its stage, at the top of the column."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    pipeline_id = await _pipeline_id_of(ctx, scope, raw_id, ["id"])
    async with board_turn(pipeline_id), unit_of_work():
        sequence = await next_board_sequence(pipeline_id)
        deal = await _locked_deal(ctx, scope, raw_id, ["id"], trashed=True)
        deal.deleted_at = None
        deal.rank = await rank_after(deal.stage_id, None, moving_deal_id=deal.id)
        deal.version += 1
        await deal.save(update_fields=["deleted_at", "rank", "version", "updated_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "deal.restored",
            N_("Deal {deal} restored from the trash", deal=deal.title),
            data=_board_data(deal, toStageId=deal.stage_id, owners=[deal.owner_id, deal.owner_id]),
            deal_id=deal.id,
            contact_id=deal.contact_id,
            pipeline_id=deal.pipeline_id,
            board_sequence=sequence,
        )
    return deal
