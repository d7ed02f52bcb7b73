"""Moving cards: a deal to another stage (or place) through the stage
gates, and every deal of an archived stage to its replacement. Each move
waits for its board's turn in the process (pipelines.board_turn, before its
transaction), takes the pipeline's sequence first, then the deal's row
lock, and records exactly one MOVED event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from revgraph.models.pipeline import Deal, Stage
from revgraph.resolvers.card_rank import rank_after
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.deals import (
    TRACKED,
    _apply_fields,
    _board_data,
    _changes,
    _check_version,
    _enter,
    _locked_deal,
    _pipeline_id_of,
    _transition,
)
from revgraph.resolvers.distribution.assign import record_first_contact, release_leads
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.partners.handoff import hand_off
from revgraph.resolvers.pipelines import board_turn, next_board_sequence
from revgraph.resolvers.stage_gates import check_stage_entry, check_still_satisfied
from revgraph.resolvers.validation import optional_text
from revgraph.resolvers.visibility import named_record, scope_of


async def move_deal(ctx: Context, values: dict[str, Any]) -> Deal:
    """Move a card to a stage (and place it after `afterDealId`, or at the
    top), applying `patch` atomically. The target stage's gates are checked
    on the deal as it would be after the patch; a refused move changes
    nothing and publishes nothing. Exactly one MOVED event is recorded."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    raw_id = values.get("deal_id")
    pipeline_id = await _pipeline_id_of(ctx, scope, raw_id, ["input", "dealId"])
    now = datetime.now(UTC)
    async with board_turn(pipeline_id), unit_of_work():
        sequence = await next_board_sequence(pipeline_id)
        deal = await _locked_deal(ctx, scope, raw_id, ["input", "dealId"])
        _check_version(deal, values.get("expected_version"))
        target = await named_record(
            ctx, Stage, values.get("stage_id"), ["input", "stageId"], pipeline_id=deal.pipeline_id
        )
        after_pk = after_owner = None
        if values.get("after_deal_id"):
            # The anchor is a card the caller can see in the target column:
            # one it may not see is as unknown as a random id.
            anchor = await named_record(
                ctx,
                Deal,
                values["after_deal_id"],
                ["input", "afterDealId"],
                stage_id=target.id,
                id__not=deal.id,
            )
            after_pk, after_owner = anchor.id, anchor.owner_id
        before = {c: getattr(deal, c) for c in TRACKED}
        from_stage_id = deal.stage_id
        if values.get("patch"):
            await _apply_fields(ctx, scope, deal, values["patch"], ["input", "patch"])
        lost_reason = optional_text(
            values.get("lost_reason"), ["input", "lostReason"], max_length=500, multiline=True
        )
        changes_stage = target.id != from_stage_id
        if changes_stage:
            await check_stage_entry(
                deal,
                target,
                lost_reason=lost_reason,
                field_prefix=["input", "patch"],
                stage_field=["input", "stageId"],
                now=now,
            )
            _enter(deal, target, now, lost_reason)
        else:
            check_still_satisfied(deal, target, ["input", "patch"])
        if changes_stage and target.kind != "OPEN":
            await release_leads(actor, actor.workspace_id, deal_id=deal.id, why=f"deal {target.kind.lower()}")
        deal.rank = await rank_after(target.id, after_pk, moving_deal_id=deal.id)
        deal.version += 1
        await deal.save()
        if changes_stage:
            await _transition(actor, deal, from_stage_id, target)
            await record_first_contact(actor, contact_id=deal.contact_id, deal_id=deal.id, at=now)
        from_stage = await Stage.get(id=from_stage_id)
        summary = (
            N_("Deal {deal} moved from {old} to {new}", deal=deal.title, old=from_stage.name, new=target.name)
            if changes_stage
            else N_("Deal {deal} reordered in {stage}", deal=deal.title, stage=target.name)
        )
        await record_event(
            actor,
            actor.workspace_id,
            "deal.stage_changed" if changes_stage else "deal.reordered",
            summary,
            data=_board_data(
                deal,
                fromStageId=from_stage_id,
                toStageId=target.id,
                afterDealId=after_pk,
                # Who may see the anchor: a subscriber who may not is told
                # the nearest card above it that they can see instead.
                afterDealOwnerId=after_owner,
                changes=_changes(before, deal),
                owners=[before["owner_id"], deal.owner_id],
                lostReason=deal.lost_reason,
            ),
            deal_id=deal.id,
            contact_id=deal.contact_id,
            company_id=deal.company_id,
            pipeline_id=deal.pipeline_id,
            board_sequence=sequence,
        )
        if changes_stage:
            await hand_off(actor, deal)
    return deal


async def relocate_deals(actor: Actor, source: Stage, target: Stage) -> None:
    """Move every live deal of an archived stage to `target` (caller's
    transaction), each with its transition and board event."""
    for deal in await Deal.filter(stage_id=source.id, deleted_at=None).order_by("rank", "id"):
        sequence = await next_board_sequence(deal.pipeline_id)
        _enter(deal, target, datetime.now(UTC))
        deal.rank = await rank_after(target.id, None, moving_deal_id=deal.id)
        deal.version += 1
        await deal.save()
        await _transition(actor, deal, source.id, target)
        await record_event(
            actor,
            deal.workspace_id,
            "deal.stage_changed",
            N_(
                "Deal {deal} moved from {source} to {target} (stage archived)",
                deal=deal.title,
                source=source.name,
                target=target.name,
            ),
            data=_board_data(
                deal,
                fromStageId=source.id,
                toStageId=target.id,
                afterDealId=None,
                owners=[deal.owner_id, deal.owner_id],
            ),
            deal_id=deal.id,
            contact_id=deal.contact_id,
            pipeline_id=deal.pipeline_id,
            board_sequence=sequence,
        )
        await hand_off(actor, deal)
