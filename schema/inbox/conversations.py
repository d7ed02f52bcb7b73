"""GraphQL surface of conversations and messages: the ConversationFilter
language, and the queries and mutations agents work the inbox with (the
types are in conversation_types.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import loaders
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.inbox import conversations as use_cases
from revgraph.resolvers.inbox import handling, intake, queries, replies
from revgraph.schema.common import (
    FILTER_LIMITS,
    SEARCH_LIMIT,
    TAG_LIMITS,
    DateTimeFilter,
    IDFilter,
    OrderDirection,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    payload_mutation,
    query,
    selects,
)
from revgraph.schema.connections import Ahead, build, preload_page
from revgraph.schema.inbox.conversation_types import (
    Conversation,
    ConversationConnection,
    ConversationPriority,
    ConversationStatus,
    Message,
    MessageKind,
    SlaState,
    preload_inboxes,
)
from revgraph.schema.permissions import AUTHENTICATED

if TYPE_CHECKING:
    pass

PAGE_ARGS = "`first`/`last` default to 50 and may be at most 100 (more is LIMIT_EXCEEDED)."


@strawberry.input(
    description="Which conversations to list: every field given must hold; combine with and/or/not. "
    + FILTER_LIMITS
)
class ConversationFilter:
    and_: list[ConversationFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these."
    )
    or_: list[ConversationFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="Any of these."
    )
    not_: ConversationFilter | None = strawberry.field(
        name="not", default=strawberry.UNSET, description="Not this."
    )
    inbox_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="The inbox.")
    status: list[ConversationStatus] | None = strawberry.field(
        default=strawberry.UNSET, description="One of these statuses."
    )
    assignee_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The assignee (isNull: true for the unassigned)."
    )
    contact_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="The contact.")
    priority: list[ConversationPriority] | None = strawberry.field(
        default=strawberry.UNSET, description="One of these priorities."
    )
    sla_state: list[SlaState] | None = strawberry.field(
        default=strawberry.UNSET,
        description="One of these SLA states (as of the last change or SLA timer run).",
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Has every one of these tags."
    )
    last_message_at: DateTimeFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The latest message's time."
    )


@strawberry.enum(description="What conversations are ordered by.")
class ConversationOrderField(Enum):
    LAST_MESSAGE_AT = "LAST_MESSAGE_AT"
    CREATED_AT = "CREATED_AT"
    WAITING_SINCE = strawberry.enum_value(
        "WAITING_SINCE", description="Who waits longest; answered conversations are left out."
    )
    PRIORITY = "PRIORITY"
    SLA_DUE_AT = strawberry.enum_value(
        "SLA_DUE_AT", description="The earliest running SLA deadline; conversations without one are left out."
    )


@strawberry.input(description="One ordering key (ties broken by id).")
class ConversationOrder:
    field: ConversationOrderField = strawberry.field(description="The key.")
    direction: OrderDirection = strawberry.field(description="ASC or DESC.")


@strawberry.input(
    description="Who wrote: found among the contacts by e-mail first, then phone (normalised, as captureLead), or created."
)
class MessageSenderInput:
    name: str | None = strawberry.field(
        default=None, description="Their name (a new contact's name; else the phone or e-mail)."
    )
    email: str | None = strawberry.field(default=None, description="E-mail.")
    phone: str | None = strawberry.field(
        default=None, description="Phone, any format; normalised to E.164 (Brazil by default)."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The provider's id of the person (e.g. a WhatsApp wa_id)."
    )


@strawberry.input(
    description="An inbound message to store. Body: 1 character to 4,096 on WhatsApp, 64 KiB elsewhere."
)
class ReceiveMessageInput:
    inbox_id: strawberry.ID = strawberry.field(description="The inbox.")
    from_: MessageSenderInput = strawberry.field(
        name="from", description="The sender (needs an e-mail or a phone)."
    )
    body: str = strawberry.field(description="The text.")
    external_id: str = strawberry.field(
        description="The provider's id of the message (1-255 characters): a repeat is answered with the stored message and changes nothing."
    )
    at: datetime | None = strawberry.field(
        default=None,
        description="When it was sent (backfills history); up to 5 minutes ahead is taken as now, more is INVALID.",
    )


@strawberry.input(description="A reply or a private note.")
class SendMessageInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    body: str = strawberry.field(description="The text (limits as for receiveMessage).")
    kind: MessageKind | None = strawberry.field(
        default=MessageKind.TEXT, description="TEXT (to the contact) or NOTE (private)."
    )
    client_message_id: str | None = strawberry.field(
        default=None,
        description="Your idempotency key (1-255 characters): a repeat returns the first message and sends nothing.",
    )


@strawberry.input(description="A template to send, inside or outside the reply window.")
class SendTemplateInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    template_name: str = strawberry.field(description="The template's name in the conversation's inbox.")
    language: str = strawberry.field(description="The template's language, as registered.")
    variables: list[str] | None = strawberry.field(
        default=None, description="Values of {{1}}, {{2}}..., in order; exactly as many as the template has."
    )


@strawberry.input(description="Changes to a conversation: only the fields sent change.")
class ConversationUpdateInput:
    priority: ConversationPriority | None = strawberry.field(
        default=strawberry.UNSET, description="The new priority."
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=f"The whole new list of tags. {TAG_LIMITS}"
    )
    deal_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A deal of the conversation's contact that the caller sees; null unlinks.",
    )


@strawberry.input(description="Where a conversation goes: a user, or a queue (its strategy chooses).")
class TransferConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active user of the workspace."
    )
    queue_id: strawberry.ID | None = strawberry.field(
        default=None, description="A queue; with nobody available the conversation waits in its backlog."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why (up to 500 characters): written in the thread."
    )


@strawberry.type(description="Result of a conversation mutation.")
class ConversationPayload:
    conversation: Conversation | None = strawberry.field(
        default=None, description="The conversation as changed."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of a message mutation.")
class MessagePayload:
    message: Message | None = strawberry.field(
        default=None, description="The message (a repeat: the first one)."
    )
    conversation: Conversation | None = strawberry.field(
        default=None, description="Its conversation, as it is now."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


_conversation_mutation = payload_mutation(ConversationPayload, "conversation", Conversation.of)


async def _message_mutation(info: Info, use_case: Any, values: dict[str, Any]) -> MessagePayload:
    ctx = ctx_of(info)

    async def work() -> dict[str, Any]:
        result = await use_case(ctx, values)
        return {"message": Message.of(result.message), "conversation": Conversation.of(result.conversation)}

    return await mutate(MessagePayload, work)


@strawberry.type
class ConversationsQuery:
    @strawberry.field(
        description=f'Conversations the caller may see; default order: the latest message first. `search`: the contact\'s name, e-mail or phone, or the number ("#12"). {SEARCH_LIMIT} {PAGE_ARGS}',
        permission_classes=AUTHENTICATED,
    )
    async def conversations(
        self,
        info: Info,
        filter: ConversationFilter | None = None,
        order_by: list[ConversationOrder] | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ConversationConnection:
        page = await query(
            queries.list_conversations(
                ctx_of(info),
                filter=input_dict(filter),
                order=[input_dict(o) for o in order_by or ()] or None,
                search=search,
                first=first,
                after=after,
                last=last,
                before=before,
                with_total=selects(info, "totalCount"),
            )
        )
        await asyncio.gather(
            preload_page(
                info,
                page.items,
                Ahead("contact", loaders.contacts, "contact_id"),
                Ahead("assignee", loaders.users, "assignee_id"),
            ),
            preload_inboxes(info, page.items),
        )
        return build(ConversationConnection, page, Conversation.of)

    @strawberry.field(
        description="A conversation by id; null if missing or not visible.", permission_classes=AUTHENTICATED
    )
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        pk = pk_of(id, "Conversation")
        row = await query(queries.get_conversation(ctx_of(info), pk)) if pk is not None else None
        return Conversation.of(row) if row else None


@strawberry.type
class ConversationsMutation:
    @strawberry.mutation(
        description="Deliver an inbound message to an inbox (ADMIN or an API key; the API channel's only intake). Idempotent by (inbox, externalId). A conversation it opens is routed through the inbox's queue in the same transaction, so the payload shows its assignee (none: it waits in the queue's backlog).",
        permission_classes=AUTHENTICATED,
    )
    async def receive_message(self, info: Info, input: ReceiveMessageInput) -> MessagePayload:
        values = input_dict(input)
        values["from"] = values.pop("from_", {})
        return await _message_mutation(info, intake.receive_message, values)

    @strawberry.mutation(
        description="Reply (TEXT) or add a private NOTE. Free text outside the reply window is WINDOW_CLOSED and stored nowhere (send a template); a repeated clientMessageId returns the first message.",
        permission_classes=AUTHENTICATED,
    )
    async def send_message(self, info: Info, input: SendMessageInput) -> MessagePayload:
        return await _message_mutation(info, replies.send_message, input_dict(input))

    @strawberry.mutation(
        description="Send one of the inbox's templates (always allowed).", permission_classes=AUTHENTICATED
    )
    async def send_template(self, info: Info, input: SendTemplateInput) -> MessagePayload:
        return await _message_mutation(info, replies.send_template, input_dict(input))

    @strawberry.mutation(
        description="Change priority, tags or the linked deal.", permission_classes=AUTHENTICATED
    )
    async def update_conversation(
        self, info: Info, id: strawberry.ID, input: ConversationUpdateInput
    ) -> ConversationPayload:
        return await _conversation_mutation(handling.update_conversation)(info, id, input_dict(input))

    @strawberry.mutation(
        description="Assign to a user (null: unassign) by the rules of any record's owner: an AGENT takes it for themselves, a MANAGER gives it within their team subtree, an ADMIN to anyone active. Writes who and why in the thread.",
        permission_classes=AUTHENTICATED,
    )
    async def assign_conversation(
        self, info: Info, id: strawberry.ID, user_id: strawberry.ID | None = None
    ) -> ConversationPayload:
        return await _conversation_mutation(handling.assign_conversation)(info, id, user_id)

    @strawberry.mutation(
        description="Transfer to a colleague or back through a queue, keeping the whole history; the reason is written in the thread (an ACTIVITY message).",
        permission_classes=AUTHENTICATED,
    )
    async def transfer_conversation(
        self, info: Info, input: TransferConversationInput
    ) -> ConversationPayload:
        return await _conversation_mutation(handling.transfer_conversation)(info, input_dict(input))

    @strawberry.mutation(
        description="A bot's conversation (PENDING) goes to people: OPEN, routed through the inbox's queue.",
        permission_classes=AUTHENTICATED,
    )
    async def hand_off_to_human(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> ConversationPayload:
        return await _conversation_mutation(handling.hand_off_to_human)(info, id, reason)

    @strawberry.mutation(
        description="Resolve: out of the open lists, handle and resolution times recorded, a CSAT survey offered to the contact.",
        permission_classes=AUTHENTICATED,
    )
    async def resolve_conversation(self, info: Info, id: strawberry.ID) -> ConversationPayload:
        return await _conversation_mutation(use_cases.resolve_conversation)(info, id)

    @strawberry.mutation(
        description="Reopen a resolved conversation (DUPLICATE when the contact has another open one in the inbox); an assignee who is offline or deactivated is replaced through the inbox's queue.",
        permission_classes=AUTHENTICATED,
    )
    async def reopen_conversation(self, info: Info, id: strawberry.ID) -> ConversationPayload:
        return await _conversation_mutation(use_cases.reopen_conversation)(info, id)

    @strawberry.mutation(
        description="Snooze until a time in the future (INVALID otherwise): the resolution clock pauses; it wakes by itself then, or when the contact writes.",
        permission_classes=AUTHENTICATED,
    )
    async def snooze_conversation(
        self, info: Info, id: strawberry.ID, until: datetime
    ) -> ConversationPayload:
        return await _conversation_mutation(use_cases.snooze_conversation)(info, id, until)
