"""GraphQL surface of the inbox's setup: inboxes, their business hours and
templates, and SLA policies. Every member of the workspace reads them;
ADMIN writes them. An inbox's settings (the channel's credentials) are
write-only: no type has a field that returns them."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import setup, templates
from revgraph.resolvers.inbox.business_hours import MAX_HOLIDAYS, MAX_INTERVALS
from revgraph.schema.common import Date, Node, UserError, ctx_of, input_dict, payload_mutation, query
from revgraph.schema.deals import ctx_for
from revgraph.schema.inbox.webchat import WebchatWidget, widget_of
from revgraph.schema.permissions import ADMIN, AUTHENTICATED
from revgraph.schema.queues import Queue

if TYPE_CHECKING:
    from revgraph.schema.inbox.chatbot import BotFlow

MINUTES = f"Whole minutes, 1 to {setup.MAX_MINUTES}"


@strawberry.enum(description="The kind of channel account an inbox is.")
class ChannelKind(Enum):
    WHATSAPP = strawberry.enum_value(
        "WHATSAPP", description="A WhatsApp Business number (Cloud API); 24-hour reply window."
    )
    INSTAGRAM = strawberry.enum_value("INSTAGRAM", description="Instagram direct messages.")
    WEBCHAT = strawberry.enum_value("WEBCHAT", description="The chat widget of a website.")
    EMAIL = strawberry.enum_value("EMAIL", description="An e-mail address.")
    SMS = strawberry.enum_value("SMS", description="A phone number's text messages.")
    API = strawberry.enum_value(
        "API", description="Messages brought in by receiveMessage (an integration), and only so."
    )


@strawberry.type(description="One opening interval of a weekday, in the inbox's time zone.")
class BusinessDay:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday .. 7 = Sunday.")
    opens: str = strawberry.field(description='Local opening time, "HH:MM" (e.g. "08:00").')
    closes: str = strawberry.field(
        description='Local closing time, "HH:MM" after `opens`; "24:00" is the end of the day.'
    )


@strawberry.type(
    description="When an inbox is staffed: SLA clocks of a businessHoursOnly policy run only inside these intervals, skipping holidays."
)
class BusinessHours:
    timezone: str = strawberry.field(description='IANA time zone, e.g. "America/Sao_Paulo".')
    days: list[BusinessDay] = strawberry.field(
        description="Opening intervals by weekday and opening time; a weekday may have several."
    )
    holidays: list[Date] = strawberry.field(description="Whole local days off, in order.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> BusinessHours:
        return cls(
            timezone=data["timezone"],
            days=[
                BusinessDay(weekday=d["weekday"], opens=d["opens"], closes=d["closes"]) for d in data["days"]
            ],
            holidays=[date.fromisoformat(day) for day in data.get("holidays") or ()],
        )


@strawberry.type(
    description="Response and resolution targets for an inbox's conversations. Every member reads the workspace's policies; ADMIN creates them."
)
class SlaPolicy(Node):
    name: str = strawberry.field(description="Name.")
    first_response_minutes: int | None = strawberry.field(
        description="Minutes from the contact's first message to the first human reply; null: no target."
    )
    next_response_minutes: int | None = strawberry.field(
        description="Minutes from each later message that starts a wait to the human reply; null: no target."
    )
    resolution_minutes: int | None = strawberry.field(
        description="Minutes from the first message to resolution, counted while the contact waits; null: no target."
    )
    business_hours_only: bool = strawberry.field(
        description="Clocks run only inside the inbox's business hours, skipping holidays (an inbox without business hours counts wall-clock time)."
    )
    warn_before_minutes: int = strawberry.field(
        description="The SLA state is WARNING this many minutes before a deadline."
    )

    @classmethod
    def of(cls, row: Any) -> SlaPolicy:
        return cls(
            id=strawberry.ID(encode_id("SlaPolicy", row.id)),
            name=row.name,
            first_response_minutes=row.first_response_minutes,
            next_response_minutes=row.next_response_minutes,
            resolution_minutes=row.resolution_minutes,
            business_hours_only=row.business_hours_only,
            warn_before_minutes=row.warn_before_minutes,
        )


@strawberry.type(
    description="A message an inbox may send outside the reply window (on WhatsApp: a template Meta approved). Unique per inbox by (name, language)."
)
class MessageTemplate:
    name: str = strawberry.field(description="The template's name at the provider.")
    language: str = strawberry.field(description='Its language, e.g. "pt_BR".')
    body: str = strawberry.field(
        description="The text, with placeholders {{1}}, {{2}}... filled from sendTemplate's variables."
    )
    variable_count: int = strawberry.field(description="How many variables sendTemplate must give.")


@strawberry.type(
    description="One channel account (a WhatsApp number, a webchat, an e-mail address, an API channel). Every member of the workspace reads every inbox; ADMIN creates and changes them. Its settings (credentials) are write-only."
)
class Inbox(Node):
    name: str = strawberry.field(description="Name; unique in the workspace, ignoring case.")
    channel: ChannelKind = strawberry.field(description="The kind of channel account.")
    reply_window_hours: int | None = strawberry.field(
        description="Free text may be sent only this many hours after the contact's last message (WHATSAPP: 24); null: the channel has no window."
    )
    row: strawberry.Private[Any]
    ctx: strawberry.Private[Context | None] = None

    @strawberry.field(
        description="The queue (roleta) new conversations are distributed through; null when none, or when it was archived."
    )
    async def queue(self, info: Info) -> Queue | None:
        if self.row.queue_id is None:
            return None
        row = await setup.routing_queues(ctx_for(self, info)).load(self.row.queue_id)
        if row is None or row.archived_at is not None or row.kind != "ROUTING":
            return None
        return Queue.of(row)

    @strawberry.field(description="When the inbox is staffed; null: always (wall-clock SLA).")
    def business_hours(self) -> BusinessHours | None:
        return BusinessHours.of(self.row.business_hours) if self.row.business_hours else None

    @strawberry.field(description="The SLA policy its conversations are held to; null: none.")
    async def sla_policy(self, info: Info) -> SlaPolicy | None:
        if self.row.sla_policy_id is None:
            return None
        row = await setup.sla_policies(ctx_for(self, info)).load(self.row.sla_policy_id)
        return SlaPolicy.of(row) if row else None

    @strawberry.field(description="Its message templates, by name and language.")
    async def templates(self, info: Info) -> list[MessageTemplate]:
        rows = await templates.templates_of(ctx_for(self, info)).load(self.row.id)
        return [
            MessageTemplate(name=r.name, language=r.language, body=r.body, variable_count=r.variable_count)
            for r in rows
        ]

    @strawberry.field(
        description="The bot flow new conversations start with (its active version); null: none, they go straight to people. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def flow(
        self, info: Info
    ) -> Annotated[BotFlow, strawberry.lazy("revgraph.schema.inbox.chatbot")] | None:
        from revgraph.schema.inbox.chatbot import inbox_flow

        return await inbox_flow(info, self.row.id)

    @strawberry.field(
        description="WEBCHAT inboxes: the widget's public key, snippet and settings; null for other channels and for anyone but administrators."
    )
    def webchat(self, info: Info) -> WebchatWidget | None:
        return widget_of(info, self.row)

    @classmethod
    def of(cls, row: Any, ctx: Context | None = None) -> Inbox:
        return cls(
            id=strawberry.ID(encode_id("Inbox", row.id)),
            name=row.name,
            channel=ChannelKind(row.channel),
            reply_window_hours=row.reply_window_hours,
            row=row,
            ctx=ctx,
        )


@strawberry.input(description="One opening interval of a weekday, in the inbox's time zone.")
class BusinessDayInput:
    weekday: int = strawberry.field(description="ISO weekday: 1 = Monday .. 7 = Sunday.")
    opens: str = strawberry.field(description='Opening time, "HH:MM" from "00:00" to "23:59".')
    closes: str = strawberry.field(
        description='Closing time, "HH:MM" after `opens`, up to "24:00" (the end of the day).'
    )


@strawberry.input(
    description=f'An inbox\'s business hours: at least one interval, at most {MAX_INTERVALS} a week, intervals of one weekday not overlapping; at most {MAX_HOLIDAYS} holidays. Each problem is an INVALID userError on its path, e.g. ["input", "businessHours", "days", "0", "opens"].'
)
class BusinessHoursInput:
    timezone: str = strawberry.field(description='IANA time zone, e.g. "America/Sao_Paulo".')
    days: list[BusinessDayInput] = strawberry.field(description="Opening intervals by weekday.")
    holidays: list[Date] | None = strawberry.field(
        default=strawberry.UNSET, description='Whole local days off, e.g. ["2026-12-25"].'
    )


@strawberry.input(description="A new SLA policy: at least one target. ADMIN only.")
class SlaPolicyInput:
    name: str = strawberry.field(description="Name; not blank, at most 200 characters.")
    first_response_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description=f"First-response target. {MINUTES}; null: none."
    )
    next_response_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description=f"Target for each later reply. {MINUTES}; null: none."
    )
    resolution_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description=f"Resolution target. {MINUTES}; null: none."
    )
    business_hours_only: bool = strawberry.field(
        description="Clocks run only inside the inbox's business hours, skipping holidays."
    )
    warn_before_minutes: int | None = strawberry.field(
        default=setup.DEFAULT_WARN_BEFORE_MINUTES,
        description=f"WARNING this many minutes before a deadline: 0 to {setup.MAX_MINUTES}; null: 15.",
    )


_SETTINGS = (
    "The channel's credentials (the keys its adapter reads, e.g. a WhatsApp access token and app secret) "
    "as a JSON object of at most 100 keys and 16 KB (defaults). Write-only: never returned by the API."
)


@strawberry.input(description="A new inbox. ADMIN only.")
class InboxInput:
    name: str = strawberry.field(
        description="Name; not blank, at most 200 characters, unique in the workspace ignoring case (DUPLICATE)."
    )
    channel: ChannelKind = strawberry.field(description="The kind of channel account; cannot change later.")
    queue_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The queue (roleta) that distributes new conversations: a queue in use; none: they wait unassigned.",
    )
    business_hours: BusinessHoursInput | None = strawberry.field(
        default=strawberry.UNSET, description="When the inbox is staffed; none: always."
    )
    sla_policy_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The SLA policy its conversations are held to."
    )
    settings: JSON | None = strawberry.field(default=strawberry.UNSET, description=_SETTINGS)


@strawberry.input(
    description="Changes to an inbox: only the fields sent change; null clears an optional one. A new SLA policy or new business hours recompute the SLA of the inbox's unresolved conversations. ADMIN only."
)
class InboxUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="New name; unique in the workspace ignoring case (DUPLICATE)."
    )
    queue_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Another queue in use; null: none (new conversations wait)."
    )
    business_hours: BusinessHoursInput | None = strawberry.field(
        default=strawberry.UNSET, description="New business hours (replacing the old); null: always staffed."
    )
    sla_policy_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Another SLA policy; null: none."
    )
    settings: JSON | None = strawberry.field(
        default=strawberry.UNSET, description=f"Replaces the stored settings whole (null: none). {_SETTINGS}"
    )


@strawberry.input(description="A template of an inbox, saved by (name, language). ADMIN only.")
class MessageTemplateInput:
    name: str = strawberry.field(description="The template's name at the provider; at most 200 characters.")
    language: str = strawberry.field(
        description='Its language: a code like "pt_BR", "en_US" or "pt-BR" (at most 16 characters).'
    )
    body: str = strawberry.field(
        description="The text, with placeholders {{1}}..{{n}} numbered without gaps (INVALID otherwise); the channel's message limits apply (WhatsApp: 4,096 characters)."
    )


@strawberry.type(description="Result of createInbox, updateInbox and upsertMessageTemplate.")
class InboxPayload:
    inbox: Inbox | None = strawberry.field(default=None, description="The inbox as it is now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of createSlaPolicy.")
class SlaPolicyPayload:
    sla_policy: SlaPolicy | None = strawberry.field(default=None, description="The new policy.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


_inbox_mutation = payload_mutation(InboxPayload, "inbox", Inbox.of)
_policy_mutation = payload_mutation(SlaPolicyPayload, "sla_policy", SlaPolicy.of)


@strawberry.type
class InboxSetupQuery:
    @strawberry.field(
        description="Every inbox of the workspace, by name; every member reads them.",
        permission_classes=AUTHENTICATED,
    )
    async def inboxes(self, info: Info) -> list[Inbox]:
        return [Inbox.of(row) for row in await query(setup.list_inboxes(ctx_of(info)))]

    @strawberry.field(
        description="Every SLA policy of the workspace, by name; every member reads them.",
        permission_classes=AUTHENTICATED,
    )
    async def sla_policies(self, info: Info) -> list[SlaPolicy]:
        return [SlaPolicy.of(row) for row in await query(setup.list_sla_policies(ctx_of(info)))]


@strawberry.type
class InboxSetupMutation:
    @strawberry.mutation(
        description="Create an SLA policy (INVALID without any target). ADMIN only.", permission_classes=ADMIN
    )
    async def create_sla_policy(self, info: Info, input: SlaPolicyInput) -> SlaPolicyPayload:
        return await _policy_mutation(setup.create_sla_policy)(info, input_dict(input))

    @strawberry.mutation(
        description="Create an inbox; WHATSAPP ones get a 24-hour reply window. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_inbox(self, info: Info, input: InboxInput) -> InboxPayload:
        return await _inbox_mutation(setup.create_inbox)(info, input_dict(input))

    @strawberry.mutation(
        description="Change an inbox's name, queue, business hours, SLA policy or settings; records inbox.updated. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_inbox(self, info: Info, id: strawberry.ID, input: InboxUpdateInput) -> InboxPayload:
        return await _inbox_mutation(setup.update_inbox)(info, id, input_dict(input))

    @strawberry.mutation(
        description="Add a template to an inbox, or replace the body of the one with the same name and language. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def upsert_message_template(
        self, info: Info, inbox_id: strawberry.ID, input: MessageTemplateInput
    ) -> InboxPayload:
        return await _inbox_mutation(templates.upsert_message_template)(info, inbox_id, input_dict(input))
