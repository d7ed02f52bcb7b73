"""The live inbox: inboxEvents and inboxSequence."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from revgraph.resolvers import loaders
from revgraph.resolvers.board_hub import current_sink
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.inbox import live
from revgraph.schema.board import LiveEventRoot, direct_delivery, stream_errors
from revgraph.schema.common import ctx_of
from revgraph.schema.identity import User
from revgraph.schema.inbox.conversation_types import Conversation, Message
from revgraph.schema.permissions import AUTHENTICATED


@strawberry.enum(description="What an inbox event says happened to a conversation.")
class InboxEventKind(Enum):
    CONVERSATION_CREATED = strawberry.enum_value(
        "CONVERSATION_CREATED", description="A conversation was opened (an intake: MESSAGE_CREATED follows)."
    )
    CONVERSATION_UPDATED = strawberry.enum_value(
        "CONVERSATION_UPDATED",
        description="Its status, assignee, priority, tags or SLA state changed, and you still see it.",
    )
    MESSAGE_CREATED = strawberry.enum_value(
        "MESSAGE_CREATED", description="A message was added (inbound, outbound, note or activity)."
    )
    MESSAGE_UPDATED = strawberry.enum_value(
        "MESSAGE_UPDATED", description="A message changed (its delivery status)."
    )
    REMOVED = strawberry.enum_value(
        "REMOVED",
        description="A change took the conversation out of what you may see (e.g. transferred to someone outside your scope); `conversation` and `message` are null.",
    )


@strawberry.type(
    description="One change to a conversation. Sent to each subscriber who could see the conversation before or after the change (as of the event, on replay too); REMOVED to one who no longer can. An intake that opens a conversation emits CONVERSATION_CREATED then MESSAGE_CREATED; the ACTIVITY message a transfer writes comes after its CONVERSATION_UPDATED/REMOVED and goes only to those who see the conversation afterwards."
)
class InboxEvent(LiveEventRoot):
    sequence: int = strawberry.field(
        description="Strictly increasing per workspace; a subscriber gets the events it may see, in this order. Resume with inboxEvents(since:)."
    )
    kind: InboxEventKind = strawberry.field(
        description="CONVERSATION_CREATED, CONVERSATION_UPDATED, MESSAGE_CREATED, MESSAGE_UPDATED or REMOVED."
    )
    conversation_id: strawberry.ID = strawberry.field(description="The conversation changed.")
    record: strawberry.Private[live.InboxEventRecord]

    @strawberry.field(
        description="The conversation as it is now; null when REMOVED or no longer visible to you."
    )
    def conversation(self) -> Conversation | None:
        row = self.record.conversation
        return Conversation.of(row, self.record.ctx) if row is not None else None

    @strawberry.field(
        description="The message created or updated (MESSAGE_CREATED, MESSAGE_UPDATED); null for other kinds and when the conversation is no longer visible to you."
    )
    def message(self) -> Message | None:
        row = self.record.message
        return Message.of(row, self.record.ctx) if row is not None else None

    @strawberry.field(
        description="Who made the change (for an API key: its user); null for automations and the system."
    )
    async def actor(self) -> User | None:
        if self.record.actor_user_id is None:
            return None
        row = await loaders.users(self.record.ctx).load(self.record.actor_user_id)
        return User.of(row) if row else None

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.record.at

    @classmethod
    def build(cls, record: live.InboxEventRecord) -> InboxEvent:
        return cls(
            sequence=record.sequence,
            kind=InboxEventKind(record.kind),
            conversation_id=strawberry.ID(encode_id("Conversation", record.conversation_id)),
            record=record,
        )


@strawberry.type
class InboxLiveQuery:
    @strawberry.field(
        description="The latest inboxEvents sequence of the workspace: read it, then subscribe with since: inboxSequence to miss nothing in between.",
        permission_classes=AUTHENTICATED,
    )
    async def inbox_sequence(self, info: Info) -> int:
        return await live.current_sequence(ctx_of(info))


@strawberry.type
class InboxLiveSubscription:
    @strawberry.subscription(
        description="Every change to conversations the caller may see (of one inbox, or all), in order. since: replay the events after this sequence first, then go live (since: 0 replays the workspace's whole inbox history; omitted: live from now). An unknown inboxId is NOT_FOUND.",
        permission_classes=AUTHENTICATED,
    )
    async def inbox_events(
        self, info: Info, inbox_id: strawberry.ID | None = None, since: int | None = None
    ) -> AsyncGenerator[InboxEvent, None]:
        ctx = ctx_of(info)
        pk = None if inbox_id is None else pk_of(inbox_id, "Inbox") or 0
        sink = current_sink.get()
        direct = direct_delivery(info, sink, InboxEvent.of) if sink is not None else None
        with stream_errors():
            async for record in live.inbox_events(ctx, pk, since, direct):
                yield InboxEvent.of(record)
