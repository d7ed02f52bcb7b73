"""The GraphQL types of conversations and messages (what lists, nodes,
payloads and inboxEvents return)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from revgraph.models.inbox import Inbox as InboxRow
from revgraph.models.inbox import SlaPolicy as SlaPolicyRow
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import intake, queries, sla
from revgraph.resolvers.inbox.business_hours import BusinessCalendar
from revgraph.schema.common import (
    Node,
    ctx_of,
    query,
    selects,
)
from revgraph.schema.connections import Ahead, Connection, build, preload_page
from revgraph.schema.deals import ctx_for, visible_deal
from revgraph.schema.identity import User
from revgraph.schema.lean_execution import loaded_or_later
from revgraph.schema.poll import CHANGES_WITH_TIME

if TYPE_CHECKING:
    from revgraph.schema.contacts import Contact
    from revgraph.schema.deals import Deal
    from revgraph.schema.inbox.chatbot import ConversationBot
    from revgraph.schema.inbox.setup import Inbox, SlaPolicy

PAGE_ARGS = "`first`/`last` default to 50 and may be at most 100 (more is LIMIT_EXCEEDED)."


@strawberry.enum(description="Where a conversation is.")
class ConversationStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="With people: someone works it or it waits for someone.")
    PENDING = strawberry.enum_value("PENDING", description="With a bot, not yet handed to a person.")
    SNOOZED = strawberry.enum_value(
        "SNOOZED", description="Set aside until `snoozedUntil` or the contact writes."
    )
    RESOLVED = strawberry.enum_value(
        "RESOLVED", description="Done; a new message from the contact opens a new conversation."
    )


@strawberry.enum(description="How urgent a conversation is.")
class ConversationPriority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


@strawberry.enum(description="Which way a message went.")
class MessageDirection(Enum):
    INBOUND = strawberry.enum_value("INBOUND", description="From the contact.")
    OUTBOUND = strawberry.enum_value("OUTBOUND", description="To the contact.")


@strawberry.enum(description="What a message is.")
class MessageKind(Enum):
    TEXT = strawberry.enum_value("TEXT", description="Free text.")
    TEMPLATE = strawberry.enum_value(
        "TEMPLATE", description="An approved template (may go outside the reply window)."
    )
    NOTE = strawberry.enum_value(
        "NOTE", description="A private note for the team: never sent to the contact."
    )
    ACTIVITY = strawberry.enum_value(
        "ACTIVITY", description="History written by RevGraph (assigned, transferred...)."
    )


@strawberry.enum(description="Where a message is on its way to or from the contact.")
class DeliveryStatus(Enum):
    RECEIVED = strawberry.enum_value("RECEIVED", description="Inbound, stored.")
    QUEUED = strawberry.enum_value("QUEUED", description="Outbound, waiting for the channel.")
    SENT = strawberry.enum_value("SENT", description="Accepted by the channel's provider.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="Reached the contact's device.")
    READ = strawberry.enum_value("READ", description="Read by the contact.")
    FAILED = strawberry.enum_value(
        "FAILED", description="The provider refused it; see the conversation's timeline."
    )


@strawberry.enum(description="Where a conversation's SLA stands.")
class SlaState(Enum):
    ON_TRACK = strawberry.enum_value("ON_TRACK", description="Every running deadline is ahead.")
    WARNING = strawberry.enum_value(
        "WARNING", description="A deadline falls within the policy's warnBeforeMinutes."
    )
    BREACHED = strawberry.enum_value("BREACHED", description="A deadline passed (or a target was met late).")
    MET = strawberry.enum_value("MET", description="Every target of the policy was met.")
    PAUSED = strawberry.enum_value("PAUSED", description="Snoozed: the resolution clock is paused.")


@strawberry.type(
    description="A conversation's SLA, computed when read from its policy, its inbox's business hours and its history."
)
class SlaStatus:
    policy: Annotated[SlaPolicy, strawberry.lazy("revgraph.schema.inbox.setup")] = strawberry.field(
        description="The inbox's policy."
    )
    state: SlaState = strawberry.field(description="ON_TRACK, WARNING, BREACHED, MET or PAUSED.")
    first_response_due_at: datetime | None = strawberry.field(
        description="When the first human reply is due; null once answered or without that target."
    )
    next_response_due_at: datetime | None = strawberry.field(
        description="When the reply to the contact's waiting message is due; null when nobody waits."
    )
    resolution_due_at: datetime | None = strawberry.field(
        description="When resolution is due at the current pace; null while the clock is paused or without that target."
    )


@strawberry.type(description="The contact's rating of a resolved conversation.")
class CsatResponse:
    rating: int = strawberry.field(description="1 (bad) to 5 (excellent).")
    comment: str | None = strawberry.field(description="What the contact wrote, if anything.")
    at: datetime = strawberry.field(description="When they answered.")


@strawberry.type(description="One message of a conversation.")
class Message(Node):
    direction: MessageDirection | None = strawberry.field(
        description="INBOUND or OUTBOUND; null for NOTE and ACTIVITY."
    )
    kind: MessageKind = strawberry.field(description="TEXT, TEMPLATE, NOTE or ACTIVITY.")
    body: str = strawberry.field(description="The text (a template's body filled in with its variables).")
    template_name: str | None = strawberry.field(description="The template's name (kind TEMPLATE).")
    status: DeliveryStatus | None = strawberry.field(
        description="Delivery status; null for NOTE and ACTIVITY."
    )
    external_id: str | None = strawberry.field(
        description="The provider's id; inbound messages are idempotent by it per inbox."
    )
    client_message_id: str | None = strawberry.field(
        description="The sender's idempotency key (sendMessage)."
    )
    at: datetime = strawberry.field(description="When it was sent (an inbound message: the provider's time).")
    author_label: str | None = strawberry.field(
        description='Who wrote it when it was not a person: "bot" (the inbox\'s flow), "inbox" (an ACTIVITY line), "csat" (the survey), an automation\'s or API key\'s label; null for the contact\'s and agents\' messages.'
    )
    row: strawberry.Private[Any]
    ctx: strawberry.Private[Context | None] = None

    @classmethod
    def of(cls, row: Any, ctx: Context | None = None) -> Message:
        return cls(
            id=strawberry.ID(encode_id("Message", row.id)),
            direction=MessageDirection(row.direction) if row.direction else None,
            kind=MessageKind(row.kind),
            body=row.body,
            template_name=row.template_name,
            status=DeliveryStatus(row.status) if row.status else None,
            external_id=row.external_id,
            client_message_id=row.client_message_id,
            at=row.at,
            author_label=row.author_label if row.author_id is None else None,
            row=row,
            ctx=ctx,
        )

    @strawberry.field(description="The conversation it belongs to.")
    async def conversation(self, info: Info) -> Conversation:
        ctx = ctx_for(self, info)
        row = await _conversations(ctx).load(self.row.conversation_id)
        return Conversation.of(row, self.ctx)

    @strawberry.field(description="The agent who wrote it; null for the contact, a bot or an automation.")
    def author(self, info: Info) -> User | None:
        # At once over the authors a thread's page loaded ahead (messages).
        if self.row.author_id is None:
            return None
        return loaded_or_later(
            loaders.users(ctx_for(self, info)), self.row.author_id, User.of_row, shared=True
        )

    @strawberry.field(
        description='What the channel carried: "text", or the channel\'s own type ("image", "audio", "video", "document", "sticker", "location", "contacts", "interactive", "button", "reaction", "unsupported" on WhatsApp). The body always reads on its own (a caption, or a label such as "[imagem]").'
    )
    def content_type(self) -> str:
        return self.row.content_type or "text"

    @strawberry.field(
        description="Files it carried, in order: the provider's media ids and what it said of them (the files stay at the provider)."
    )
    def attachments(self) -> list[MessageAttachment]:
        return [MessageAttachment.of(item) for item in self.row.attachments or [] if isinstance(item, dict)]

    @strawberry.field(
        description="Why the provider refused it (status FAILED): its error code, title and message, as the provider said; null otherwise."
    )
    def error(self) -> str | None:
        return self.row.error if self.row.status == "FAILED" else None


@strawberry.type(description="A file a message carried, as its channel described it.")
class MessageAttachment:
    kind: str = strawberry.field(description='"image", "audio", "video", "document", "sticker", "file"...')
    media_id: str | None = strawberry.field(
        description="The provider's id of the file (WhatsApp: the media id)."
    )
    name: str | None = strawberry.field(description="Its file name, when the sender gave one.")
    mime_type: str | None = strawberry.field(description='Its MIME type, e.g. "image/jpeg".')
    size: int | None = strawberry.field(description="Its size in bytes, when known.")
    sha256: str | None = strawberry.field(description="The provider's SHA-256 of the file, when given.")

    @classmethod
    def of(cls, item: dict[str, Any]) -> MessageAttachment:
        size = item.get("size")
        return cls(
            kind=str(item.get("kind") or "file"),
            media_id=item.get("mediaId"),
            name=item.get("name"),
            mime_type=item.get("mimeType"),
            size=size if isinstance(size, int) else None,
            sha256=item.get("sha256"),
        )


def _conversations(ctx: Context) -> loaders.BatchLoader:
    from revgraph.models.inbox import Conversation as Row

    return loaders.loader(ctx, "conversations", lambda ws: loaders.by_id(ws, Row))


def _sla_policies(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(ctx, "sla_policies", lambda ws: loaders.by_id(ws, SlaPolicyRow))


def _inboxes(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(ctx, "inboxes", lambda ws: loaders.by_id(ws, InboxRow))


# Fields of a conversation that read its inbox, and those that read the
# inbox's SLA policy too: what a page preloads for (conversations_page).
READS_INBOX = ("inbox", "canReply", "replyWindowClosesAt", "sla")
READS_SLA_POLICY = ("sla",)


async def preload_inboxes(info: Info, rows: list[Any]) -> None:
    """Load the inboxes of a page's conversations, and their SLA policies,
    when the selection reads them (READS_INBOX, READS_SLA_POLICY): one
    batch each, so those fields answer synchronously."""
    node = ("edges", "node")
    keys = {row.inbox_id for row in rows}
    if not keys or not any(selects(info, *node, name) for name in READS_INBOX):
        return
    ctx = ctx_of(info)
    inboxes = await _inboxes(ctx).load_many(keys)
    policies = {inbox.sla_policy_id for inbox in inboxes if inbox is not None} - {None}
    if policies and any(selects(info, *node, name) for name in READS_SLA_POLICY):
        await _sla_policies(ctx).load_many(policies)


def _sla_status(ctx: Context, inbox: Any, policy: Any, row: Any) -> SlaStatus | None:
    """A conversation's SLA now, over its inbox's policy and business
    hours; the calendar and the policy's GraphQL object are made once per
    inbox and request (a page's conversations share a few inboxes)."""
    from revgraph.schema.inbox.setup import SlaPolicy

    if policy is None:
        return None
    made = _inboxes(ctx).made
    key = (inbox.id, _sla_status)
    shared = made.get(key)
    if shared is None or shared[0] is not policy:
        calendar = BusinessCalendar.from_json(inbox.business_hours) if inbox.business_hours else None
        shared = made[key] = (policy, SlaPolicy.of(policy), calendar)
    _, policy_type, calendar = shared
    result = sla.computed(row, policy, calendar)
    return SlaStatus(
        policy=policy_type,
        state=SlaState(result.state(datetime.now(UTC))),
        first_response_due_at=result.first_response_due_at,
        next_response_due_at=result.next_response_due_at,
        resolution_due_at=result.resolution_due_at,
    )


@strawberry.type(description="A page of messages, oldest first.")
class MessageConnection(Connection[Message]):
    pass


@strawberry.type(
    description="One contact's conversation in one inbox. ADMIN sees all; MANAGER those assigned in their team subtree and the unassigned ones of inboxes whose queue has a member there; AGENT those assigned to them and the unassigned ones of inboxes whose queue they belong to."
)
class Conversation(Node):
    number: int = strawberry.field(description="Readable number, per workspace, from 1.")
    status: ConversationStatus = strawberry.field(description="OPEN, PENDING, SNOOZED or RESOLVED.")
    priority: ConversationPriority = strawberry.field(description="LOW, MEDIUM (default), HIGH or URGENT.")
    snoozed_until: datetime | None = strawberry.field(description="When a snooze ends by itself.")
    waiting_since: datetime | None = strawberry.field(
        description="The contact's oldest unanswered inbound message; null when answered."
    )
    last_message_at: datetime | None = strawberry.field(
        description="The latest message to or from the contact."
    )
    tags: list[str] = strawberry.field(description="Labels, in the order given.")
    created_at: datetime = strawberry.field(description="When it was opened.")
    row: strawberry.Private[Any]
    ctx: strawberry.Private[Context | None] = None

    @classmethod
    def of(cls, row: Any, ctx: Context | None = None) -> Conversation:
        return cls(
            id=strawberry.ID(encode_id("Conversation", row.id)),
            number=row.number,
            status=ConversationStatus(row.status),
            priority=ConversationPriority(row.priority),
            snoozed_until=row.snoozed_until,
            waiting_since=row.waiting_since,
            last_message_at=row.last_message_at,
            tags=list(row.tags or ()),
            created_at=row.created_at,
            row=row,
            ctx=ctx,
        )

    # The inbox and its SLA policy are read once per request for a whole
    # page (preload_inboxes), so these fields answer
    # synchronously over them (schema/lean_execution.py); elsewhere (a
    # conversation alone, an event) they load and answer later.
    def _with_inbox(self, info: Info, then: Callable[[Any], Any]) -> Any:
        return loaded_or_later(_inboxes(ctx_for(self, info)), self.row.inbox_id, then)

    @strawberry.field(description="The inbox (channel account) it came in through.")
    def inbox(self, info: Info) -> Annotated[Inbox, strawberry.lazy("revgraph.schema.inbox.setup")]:
        from revgraph.schema.inbox.setup import Inbox

        return loaded_or_later(_inboxes(ctx_for(self, info)), self.row.inbox_id, Inbox.of, shared=True)

    @strawberry.field(
        description="The contact. Whoever sees the conversation reads its contact (routing a conversation does not change the contact's owner)."
    )
    def contact(self, info: Info) -> Annotated[Contact, strawberry.lazy("revgraph.schema.contacts")]:
        from revgraph.schema.contacts import Contact

        # contact and assignee answer at once over what the page loaded
        # ahead (conversation_connection; schema/lean_execution.py).
        return loaded_or_later(loaders.contacts(ctx_for(self, info)), self.row.contact_id, Contact.of)

    @strawberry.field(description="The deal it is about, if linked and the caller may see it.")
    async def deal(self, info: Info) -> Annotated[Deal, strawberry.lazy("revgraph.schema.deals")] | None:
        from revgraph.schema.deals import Deal

        if self.row.deal_id is None:
            return None
        row = await visible_deal(ctx_for(self, info), self.row.deal_id)
        return Deal.of(row) if row is not None and row.deleted_at is None else None

    @strawberry.field(description="Who works it; null while it waits in its queue's backlog or with nobody.")
    def assignee(self, info: Info) -> User | None:
        if self.row.assignee_id is None:
            return None
        return loaded_or_later(
            loaders.users(ctx_for(self, info)), self.row.assignee_id, User.of_row, shared=True
        )

    @strawberry.field(
        description="When free text stops being allowed: 24 h after the contact's last message on WhatsApp; null when the channel has no window."
    )
    def reply_window_closes_at(self, info: Info) -> datetime | None:
        row = self.row

        def closes_at(inbox: Any) -> datetime | None:
            closes = intake.reply_window_closes_at(inbox, row)
            return None if closes is None or closes.year == 1 else closes

        return self._with_inbox(info, closes_at)

    @strawberry.field(
        description="Whether free text may be sent now (otherwise only a template).",
        metadata=CHANGES_WITH_TIME,
    )
    def can_reply(self, info: Info) -> bool:
        row = self.row
        return self._with_inbox(info, lambda inbox: intake.can_reply(inbox, row))

    @strawberry.field(
        description="The SLA of the inbox's policy; null when the inbox has none.", metadata=CHANGES_WITH_TIME
    )
    def sla(self, info: Info) -> SlaStatus | None:
        ctx, row = ctx_for(self, info), self.row

        def with_inbox(inbox: Any) -> Any:
            if inbox.sla_policy_id is None:
                return None
            return loaded_or_later(
                _sla_policies(ctx), inbox.sla_policy_id, lambda policy: _sla_status(ctx, inbox, policy, row)
            )

        return self._with_inbox(info, with_inbox)

    @strawberry.field(
        description="The bot in this conversation (the flow version, the node it is at, its answers); null when no bot ran in it."
    )
    async def bot(
        self, info: Info
    ) -> Annotated[ConversationBot, strawberry.lazy("revgraph.schema.inbox.chatbot")] | None:
        from revgraph.schema.inbox.chatbot import conversation_bot

        return await conversation_bot(info, self.row)

    @strawberry.field(
        description="The contact's rating, once they answered the survey offered on resolution."
    )
    def csat(self) -> CsatResponse | None:
        if self.row.csat_rating is None:
            return None
        return CsatResponse(rating=self.row.csat_rating, comment=self.row.csat_comment, at=self.row.csat_at)

    @strawberry.field(description=f"The messages, oldest first. {PAGE_ARGS}")
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MessageConnection:
        ctx = ctx_for(self, info)
        page = await query(
            queries.conversation_messages(
                ctx,
                self.row.id,
                first=first,
                after=after,
                last=last,
                before=before,
                with_total=selects(info, "totalCount"),
            )
        )
        await preload_page(info, page.items, Ahead("author", loaders.users, "author_id"))
        return build(MessageConnection, page, lambda row: Message.of(row, self.ctx))


@strawberry.type(description="A page of conversations.")
class ConversationConnection(Connection[Conversation]):
    pass
