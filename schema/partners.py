"""GraphQL surface of partners (README "Parceiros"): the RD Station
Marketing intake, partner hand-off rules (ADMIN) and updateDealFromPartner
(a partner's API key, scope INTAKE or FULL)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.partners import handoff, partner_updates, rdstation
from revgraph.schema.common import DeletePayload, Node, UserError, ctx_of, input_dict, mutate, query
from revgraph.schema.deal_operations import DealPayload
from revgraph.schema.deals import Deal
from revgraph.schema.permissions import ADMIN, AUTHENTICATED


@strawberry.type(description="The workspace's RD Station Marketing intake (its conversion webhook).")
class RdStationIntake:
    enabled: bool = strawberry.field(
        description="Conversions are accepted; when false they are refused (401)."
    )
    webhook_path: str = strawberry.field(
        description="Path to give RD Station, on this server's public URL, followed by ?token=<secret>."
    )
    queue_id: strawberry.ID | None = strawberry.field(description="Queue its leads are distributed through.")
    pipeline_id: strawberry.ID | None = strawberry.field(description="Pipeline its leads open deals in.")
    updated_at: datetime = strawberry.field(description="Last configured (the secret was issued then).")

    @classmethod
    def of(cls, row: Any) -> RdStationIntake:
        return cls(
            enabled=row.enabled,
            webhook_path=rdstation.webhook_path(row.workspace_id),
            queue_id=strawberry.ID(encode_id("Queue", row.queue_id)) if row.queue_id else None,
            pipeline_id=strawberry.ID(encode_id("Pipeline", row.pipeline_id)) if row.pipeline_id else None,
            updated_at=row.updated_at,
        )


@strawberry.input(description="How the RD Station Marketing intake works.")
class RdStationIntakeInput:
    enabled: bool = strawberry.field(default=True, description="Accept conversions (default true).")
    queue_id: strawberry.ID | None = strawberry.field(
        default=None, description="Distribute leads through this queue."
    )
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Open deals in this pipeline."
    )


@strawberry.type(description="Result of configureRdStationIntake. The secret is shown only here, once.")
class RdStationIntakePayload:
    intake: RdStationIntake | None = strawberry.field(default=None, description="The intake as configured.")
    secret: str | None = strawberry.field(
        default=None, description="The new shared secret (the previous one stops working): the URL's ?token=."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(
    description="When a deal enters `stageId`, it is delivered to a partner through a webhook endpoint."
)
class PartnerHandoffRule(Node):
    name: str = strawberry.field(description="The partner's name (e.g. VIMOB), on the deal's timeline.")
    stage_id: strawberry.ID = strawberry.field(description="The stage that hands a deal off.")
    endpoint_id: strawberry.ID = strawberry.field(
        description="The outgoing webhook endpoint the deal.handed_off event is delivered to (only to it)."
    )
    active: bool = strawberry.field(description="The rule hands deals off.")
    created_at: datetime = strawberry.field(description="When the rule was made.")

    @classmethod
    def of(cls, row: Any) -> PartnerHandoffRule:
        return cls(
            id=strawberry.ID(encode_id("PartnerHandoffRule", row.id)),
            name=row.name,
            stage_id=strawberry.ID(encode_id("Stage", row.stage_id)),
            endpoint_id=strawberry.ID(encode_id("WebhookEndpoint", row.endpoint_id)),
            active=row.active,
            created_at=row.created_at,
        )


@strawberry.input(description="A new partner hand-off rule.")
class PartnerHandoffRuleInput:
    name: str = strawberry.field(description="The partner's name.")
    stage_id: strawberry.ID = strawberry.field(description="The stage that hands a deal off.")
    endpoint_id: strawberry.ID = strawberry.field(description="The webhook endpoint to deliver it to.")


@strawberry.type(description="Result of createPartnerHandoffRule.")
class PartnerHandoffRulePayload:
    rule: PartnerHandoffRule | None = strawberry.field(default=None, description="The new rule.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.input(description="What a partner reports about a deal handed off to it.")
class UpdateDealFromPartnerInput:
    deal_id: strawberry.ID = strawberry.field(
        description="The deal (the id in the deal.handed_off delivery)."
    )
    status: str = strawberry.field(description='The partner status, e.g. "Proposta enviada".')
    value: Decimal | None = strawberry.field(
        default=None, description="The deal's value as the partner has it."
    )
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Move the deal to this stage (its gates apply)."
    )
    lost_reason: str | None = strawberry.field(default=None, description="Why, when moving to a lost stage.")
    note: str | None = strawberry.field(default=None, description="Free text for the timeline.")
    external_id: str | None = strawberry.field(default=None, description="The deal's id at the partner.")
    partner: str | None = strawberry.field(
        default=None,
        description="The partner's name, when a person reports for it; with an API key it is the key's name and this is ignored.",
    )


@strawberry.type
class PartnersQuery:
    @strawberry.field(
        description="The RD Station Marketing intake; null until configured. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def rd_station_intake(self, info: Info) -> RdStationIntake | None:
        row = await query(rdstation.current(ctx_of(info)))
        return RdStationIntake.of(row) if row else None

    @strawberry.field(description="The partner hand-off rules. ADMIN only.", permission_classes=ADMIN)
    async def partner_handoff_rules(self, info: Info) -> list[PartnerHandoffRule]:
        return [PartnerHandoffRule.of(r) for r in await query(handoff.list_rules(ctx_of(info)))]


@strawberry.type
class PartnersMutation:
    @strawberry.mutation(
        description="Turn the RD Station Marketing intake on or off and choose where its leads go; issues a new secret each time (shown once). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def configure_rd_station_intake(
        self, info: Info, input: RdStationIntakeInput
    ) -> RdStationIntakePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            done = await rdstation.configure(
                ctx, enabled=input.enabled, queue_id=input.queue_id, pipeline_id=input.pipeline_id
            )
            return {"intake": RdStationIntake.of(done.intake), "secret": done.secret}

        return await mutate(RdStationIntakePayload, work)

    @strawberry.mutation(
        description="Hand deals entering a stage to a partner through a webhook endpoint (event deal.handed_off). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_partner_handoff_rule(
        self, info: Info, input: PartnerHandoffRuleInput
    ) -> PartnerHandoffRulePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"rule": PartnerHandoffRule.of(await handoff.create_rule(ctx, input_dict(input)))}

        return await mutate(PartnerHandoffRulePayload, work)

    @strawberry.mutation(description="Delete a partner hand-off rule. ADMIN only.", permission_classes=ADMIN)
    async def delete_partner_handoff_rule(self, info: Info, id: strawberry.ID) -> DeletePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            pk = await handoff.delete_rule(ctx, id)
            return {"deleted_id": strawberry.ID(encode_id("PartnerHandoffRule", pk))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(
        description="A partner's API key reports a deal's status (and value, or a stage move through its gates) onto its timeline, under the partner's name (the API key's, or `partner` when a person reports for it). Allowed to INTAKE keys, on the deals handed off to their partner only (a deal.handed_off naming the key's name; any other deal is NOT_FOUND on input.dealId), reading back only the deal's id and state (FORBIDDEN otherwise).",
        permission_classes=AUTHENTICATED,
    )
    async def update_deal_from_partner(self, info: Info, input: UpdateDealFromPartnerInput) -> DealPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            deal = await partner_updates.update_from_partner(ctx, input_dict(input))
            return {"deal": Deal.of(deal, ctx)}

        return await mutate(DealPayload, work)
