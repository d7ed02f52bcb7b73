"""Hand-off to a sales system (VIMOB and the like) and its reports back.

A rule says "when a deal enters stage X, hand it to partner N through the
outgoing webhook endpoint Y". Entering the stage records `deal.handed_off`
in the move's own transaction; the outgoing webhooks (resolvers/webhooks)
deliver it, signed and retried like every event, to that endpoint only,
with the deal and its contact. The partner reports back
through partner_updates.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from revgraph.models.partners import PartnerHandoffRule
from revgraph.models.pipeline import Deal, Stage
from revgraph.models.webhooks import WebhookEndpoint
from revgraph.resolvers.bulk_insert import in_list
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record

HANDED_OFF = "deal.handed_off"


async def create_rule(ctx: Context, values: dict[str, Any]) -> PartnerHandoffRule:
    """ADMIN: hand deals entering `stageId` to `name` through `endpointId`."""
    actor = ctx.require_admin()
    name = required_text(values.get("name"), ["input", "name"], max_length=200, what=_("Name"))
    stage = await named_record(ctx, Stage, values.get("stage_id"), ["input", "stageId"])
    endpoint = await WebhookEndpoint.filter(
        id=pk_of(values.get("endpoint_id"), "WebhookEndpoint") or 0, workspace_id=actor.workspace_id
    ).first()
    if endpoint is None:
        raise NotFound(_("Webhook endpoint"), ["input", "endpointId"])
    async with unit_of_work():
        rule = await PartnerHandoffRule.create(
            workspace_id=actor.workspace_id, name=name, stage_id=stage.id, endpoint_id=endpoint.id
        )
        await record_event(
            actor,
            actor.workspace_id,
            "partner_handoff.created",
            N_("Hand-off rule to {name} created", name=name),
            data={"ruleId": rule.id, "stageId": stage.id, "endpointId": endpoint.id},
        )
    return rule


async def delete_rule(ctx: Context, raw_id: str) -> int:
    actor = ctx.require_admin()
    rule = await PartnerHandoffRule.filter(
        id=pk_of(raw_id, "PartnerHandoffRule") or 0, workspace_id=actor.workspace_id
    ).first()
    if rule is None:
        raise NotFound(_("Partner hand-off rule"), ["id"])
    async with unit_of_work():
        await rule.delete()
        await record_event(
            actor,
            actor.workspace_id,
            "partner_handoff.deleted",
            N_("Hand-off rule to {name} removed", name=rule.name),
            data={"ruleId": rule.id},
        )
    return rule.id


async def list_rules(ctx: Context) -> list[PartnerHandoffRule]:
    actor = ctx.require_admin()
    return list(await PartnerHandoffRule.filter(workspace_id=actor.workspace_id).order_by("id"))


async def get_rule(ctx: Context, pk: int) -> PartnerHandoffRule | None:
    actor = ctx.require_admin()
    return await PartnerHandoffRule.filter(id=pk, workspace_id=actor.workspace_id).first()


async def hand_off(actor: Actor, deal: Deal) -> None:
    """The deal entered its stage (a move, a creation in it, its stage's
    archiving): one `deal.handed_off` per active rule of that stage, in the
    same transaction (so a refused move hands off
    nothing, and a committed one is delivered from the log)."""
    for event in (await hand_off_events([deal]))[0]:
        await record_event(actor, deal.workspace_id, event.pop("kind"), event.pop("summary"), **event)


async def hand_off_events(deals: Sequence[Deal]) -> list[list[dict[str, Any]]]:
    """The `deal.handed_off` events (record_events' mappings) each of
    `deals` entering its stage leads to, per deal: the active rules of
    their stages read in one query."""
    stage_ids = sorted({deal.stage_id for deal in deals})
    rules = await PartnerHandoffRule.filter(stage_id__in=in_list(stage_ids), active=True).order_by("id")
    return [
        [
            {
                "kind": HANDED_OFF,
                "summary": N_("Deal {deal} handed off to {partner}", deal=deal.title, partner=rule.name),
                "data": {"ruleId": rule.id, "partner": rule.name, "endpointId": rule.endpoint_id},
                "deal_id": deal.id,
                "contact_id": deal.contact_id,
                "company_id": deal.company_id,
            }
            for rule in rules
            if rule.stage_id == deal.stage_id
        ]
        for deal in deals
    ]
