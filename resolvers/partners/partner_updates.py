"""updateDealFromPartner: a partner's API key (VIMOB and the like), or a
person on its behalf, reports a deal's status, and its value or a stage move through the stage gates,
onto the deal's timeline as `deal.partner_updated` under the partner's name
("rastreabilidade do pré ao pós").

A partner's key (scope INTAKE) reports only on deals handed off to that
partner: the key is issued with the partner's name (README "Repasse a
parceiros") and a hand-off rule names the partner, whose name its
`deal.handed_off` events keep (`data.partner`); there is no other link
between a key and a rule. Any other deal (handed off to another partner,
never handed off, missing, another workspace's) is the same NOT_FOUND on
input.dealId, before anything is written or read. A FULL key or a person
reports on any deal their role lets them change."""

from __future__ import annotations

from typing import Any

from revgraph.models.events import Event
from revgraph.models.identity import ApiKey
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.deal_moves import move_deal
from revgraph.resolvers.deals import _value, update_deal
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.key_scopes import INTAKE
from revgraph.resolvers.partners.handoff import HANDED_OFF
from revgraph.resolvers.validation import optional_text, required_text
from revgraph.resolvers.visibility import named_record, not_found

PARTNER_UPDATED = "deal.partner_updated"


async def partner_name(actor: Actor, given: str | None) -> str:
    """Who reports: an API key is its partner (the key's name); a person
    typing a partner's report in names the partner."""
    if actor.api_key_id is not None:
        return (await ApiKey.get(id=actor.api_key_id)).name
    return required_text(given, ["input", "partner"], max_length=200, what=_("Partner"))


def _same_partner(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.strip().casefold() == b.strip().casefold()


async def require_handed_off(actor: Actor, partner: str, raw_id: Any) -> None:
    """An INTAKE key's deal must have been handed off to its partner (a
    `deal.handed_off` under the key's name); else NOT_FOUND, as a missing
    deal, so the key learns nothing of deals not handed to it."""
    if actor.scope != INTAKE:
        return
    pk = pk_of(raw_id, "Deal") if isinstance(raw_id, str) else None
    handed_to = (
        await Event.filter(workspace_id=actor.workspace_id, deal_id=pk, kind=HANDED_OFF).values_list(
            "data", flat=True
        )
        if pk is not None
        else []
    )
    if not any(_same_partner((data or {}).get("partner"), partner) for data in handed_to):
        raise not_found(Deal, ["input", "dealId"])


async def update_from_partner(ctx: Context, values: dict[str, Any]) -> Deal:
    """A partner's API key reports a deal's status (and value, and stage
    through its gates) onto its timeline, in one transaction."""
    actor = ctx.require_actor()
    partner = await partner_name(actor, values.get("partner"))
    status = required_text(values.get("status"), ["input", "status"], max_length=200, what=_("Status"))
    note = optional_text(
        values.get("note"), ["input", "note"], max_length=5000, what=_("Note"), multiline=True
    )
    external_id = optional_text(values.get("external_id"), ["input", "externalId"], max_length=200)
    raw_id = values.get("deal_id")
    value = _value(values.get("value"), ["input", "value"]) if values.get("value") is not None else None
    async with unit_of_work():
        await require_handed_off(actor, partner, raw_id)
        if values.get("stage_id"):
            deal = await move_deal(
                ctx,
                {
                    "deal_id": raw_id,
                    "stage_id": values["stage_id"],
                    "patch": {"value": value} if value is not None else None,
                    "lost_reason": values.get("lost_reason"),
                },
            )
        elif value is not None:
            deal = await update_deal(ctx, raw_id, {"value": value})
        else:
            deal = await named_record(ctx, Deal, raw_id, ["input", "dealId"])
        await record_event(
            actor,
            actor.workspace_id,
            PARTNER_UPDATED,
            N_("{partner}: {status}", partner=partner, status=status),
            data={
                "partner": partner,
                "status": status,
                "value": str(value) if value is not None else None,
                "note": note,
                "externalId": external_id,
            },
            deal_id=deal.id,
            contact_id=deal.contact_id,
            company_id=deal.company_id,
        )
    return deal
