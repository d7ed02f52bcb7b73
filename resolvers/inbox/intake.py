"""Intake: a message from a contact arrives at an inbox (receiveMessage, and
the channels' webhooks). Idempotent by the provider's id per inbox; the
contact is found or created from the sender with captureLead's duplicate
rules; the contact's unresolved conversation in the inbox takes the
message, or a new one is opened and routed through the inbox's queue in the
same transaction.

A message on a RESOLVED conversation opens a new conversation: each
resolved one keeps its own history, SLA and metrics (first response,
resolution, CSAT), and the new one is routed afresh.

An inbox with an active bot flow opens its new conversations PENDING
instead: with the bot, not routed, until it hands them to people
(resolvers/chatbot/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from revgraph.models.chatbot import BotFlow
from revgraph.models.crm import Contact
from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers import consent
from revgraph.resolvers.contacts import set_name, set_phone
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import AuthError, DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _, rendered
from revgraph.resolvers.inbox.conversations import add_message, wake
from revgraph.resolvers.inbox.routing import choose_assignee, inbox_queue
from revgraph.resolvers.inbox.stream import record_inbox_event
from revgraph.resolvers.numbering import next_number
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import check_text, normalize_email, normalize_phone, optional_text
from revgraph.resolvers.visibility import named_record

# Provider clocks drift: an `at` up to this far ahead is taken as now.
CLOCK_SKEW = timedelta(minutes=5)
# A WhatsApp text is at most 4,096 characters; other channels' bodies 64 KiB.
WHATSAPP_MAX_CHARS = 4096
MAX_BODY_BYTES = 64 * 1024
# Channels with a reply window by default (hours).
REPLY_WINDOWS = {"WHATSAPP": 24}


@dataclass
class Sender:
    name: str | None
    email: str | None
    phone: str | None
    external_id: str | None


@dataclass
class Received:
    message: Message
    conversation: Conversation
    # False when the provider's id was seen before: nothing changed.
    created: bool


def check_body(channel: str, body: Any, field: list[str]) -> str:
    """A message body: not empty, at most 4,096 characters on WhatsApp and
    64 KiB elsewhere; lines and tabs kept."""
    if not isinstance(body, str) or not body.strip():
        raise DomainError("INVALID", _("The message body is empty."), field)
    if channel == "WHATSAPP" and len(body) > WHATSAPP_MAX_CHARS:
        raise DomainError(
            "INVALID",
            _(
                "A WhatsApp message is at most {WHATSAPP_MAX_CHARS} characters.",
                WHATSAPP_MAX_CHARS=WHATSAPP_MAX_CHARS,
            ),
            field,
        )
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise DomainError("INVALID", _("A message body is at most 64 KiB."), field)
    return check_text(body, field, what=_("Message body"))


def message_time(at: datetime | None, field: list[str], now: datetime) -> datetime:
    """When the message was sent: at most 5 minutes ahead (clamped to now), INVALID beyond."""
    if at is None:
        return now
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at > now + CLOCK_SKEW:
        raise DomainError("INVALID", _("`at` is more than 5 minutes in the future."), field)
    return min(at, now)


def read_sender(values: dict[str, Any], field: list[str]) -> Sender:
    email = values.get("email")
    phone = values.get("phone")
    sender = Sender(
        name=optional_text(values.get("name"), [*field, "name"], max_length=200, what=_("Name")),
        email=normalize_email(email, [*field, "email"]) if email and email.strip() else None,
        phone=normalize_phone(phone, [*field, "phone"]) if phone and phone.strip() else None,
        external_id=optional_text(
            values.get("external_id"), [*field, "externalId"], max_length=255, what=_("External id")
        ),
    )
    if sender.email is None and sender.phone is None:
        raise DomainError("INVALID", _("The sender needs an e-mail or a phone."), [*field, "phone"])
    return sender


async def contact_for(actor: Actor | None, workspace_id: int, sender: Sender, channel: str) -> Contact:
    """The live contact with the sender's e-mail (first) or phone, locked;
    else a new one (numbered, unowned, source = the channel)."""
    match = Q()
    if sender.email:
        match |= Q(email=sender.email)
    if sender.phone:
        match |= Q(phone=sender.phone)
    rows = await Contact.filter(match, workspace_id=workspace_id, deleted_at=None).order_by("id")
    found = next((r for r in rows if sender.email and r.email == sender.email), rows[0] if rows else None)
    if found is not None:
        return await Contact.filter(id=found.id).select_for_update().get()
    contact = Contact(workspace_id=workspace_id, email=sender.email, source=channel.lower())
    set_name(contact, sender.name or sender.phone or sender.email or "")
    set_phone(contact, sender.phone)
    contact.number = await next_number(workspace_id, "contact")
    await contact.save()
    await record_event(
        actor,
        workspace_id,
        "contact.created",
        N_("Contact {contact} wrote to the inbox ({lower})", contact=contact.name, lower=channel.lower()),
        data={"contact": {"name": contact.name, "email": contact.email, "phone": contact.phone}},
        contact_id=contact.id,
    )
    return contact


async def open_conversation(
    settings: Settings, actor: Actor | None, inbox: Inbox, contact: Contact, *, status: str = "OPEN"
) -> Conversation:
    """A new conversation, routed through the inbox's queue when it is OPEN
    (PENDING ones are with a bot until handed off). Its CONVERSATION_CREATED
    event shows it as routed (caller's transaction)."""
    conversation = Conversation(
        workspace_id=inbox.workspace_id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=status,
        number=await next_number(inbox.workspace_id, "conversation"),
        tags=[],
        sla_facts=[],
        sla_recorded=[],
    )
    queue_id = await inbox_queue(inbox.id) if status == "OPEN" else None
    reason = N_("The inbox has no queue: waiting for someone to take it.")
    if queue_id is not None:
        user_id, reason = await choose_assignee(settings, queue_id)
        conversation.assignee_id = user_id
        conversation.routed_by_queue_id = queue_id if user_id is not None else None
    await conversation.save()
    await record_inbox_event(
        actor,
        conversation,
        "conversation.created",
        N_(
            "{contact} started conversation #{conversation_number} in {inbox}",
            contact=contact.name,
            conversation_number=conversation.number,
            inbox=inbox.name,
        ),
        before=None,
        data={"assigneeId": conversation.assignee_id, "queueId": queue_id, "reason": rendered(reason)},
    )
    return conversation


async def receive(
    settings: Settings,
    actor: Actor | None,
    inbox: Inbox,
    sender: Sender,
    *,
    body: str,
    external_id: str,
    at: datetime,
    thread_id: int | None = None,
    content_type: str = "text",
    attachments: list[dict[str, Any]] | None = None,
    channel_data: dict[str, Any] | None = None,
    keep: Callable[[Message], Awaitable[None]] | None = None,
    contact_id: int | None = None,
) -> Received:
    """Store one inbound message (see the module's rules) and its part of
    the consent ledger (resolvers/consent.py: a first message opts the
    contact in, a keyword out or back in, acknowledged by a QUEUED reply).
    Runs its own transaction. A channel that threads (e-mail) names the
    conversation the message answers in `thread_id`: it joins it while it
    is unresolved, whoever wrote it; `keep` stores the channel's own rows
    for the message (the e-mail's source) in the same transaction;
    `contact_id`: a channel that knows its contact (a webchat visitor's
    own) names it instead of the sender's e-mail or phone."""
    existing = await _stored(inbox.id, external_id)
    if existing is not None:
        return existing
    try:
        async with unit_of_work():
            conversation = await _thread(inbox, thread_id)
            if conversation is not None:
                contact = await Contact.get(id=conversation.contact_id)
            else:
                if contact_id is not None:
                    contact = await Contact.filter(id=contact_id).select_for_update().get()
                else:
                    contact = await contact_for(actor, inbox.workspace_id, sender, inbox.channel)
                conversation = (
                    await Conversation.filter(
                        inbox_id=inbox.id, contact_id=contact.id, status__not="RESOLVED"
                    )
                    .select_for_update()
                    .first()
                )
            if conversation is None:
                # An inbox with a bot flow opens it with the bot (PENDING, not routed).
                status = (
                    "PENDING" if await BotFlow.filter(inbox_id=inbox.id, active=True).exists() else "OPEN"
                )
                conversation = await open_conversation(settings, actor, inbox, contact, status=status)
            elif conversation.status == "SNOOZED":
                await wake(actor, conversation, "the contact wrote", settings)
            message = await add_message(
                actor,
                conversation,
                kind="TEXT",
                direction="INBOUND",
                status="RECEIVED",
                body=body,
                at=at,
                external_id=external_id,
                author_label=None,
                content_type=content_type,
                attachments=attachments,
                channel_data=channel_data,
                summary=N_(
                    "{contact} wrote in conversation #{conversation_number}",
                    contact=contact.name,
                    conversation_number=conversation.number,
                ),
            )
            if keep is not None:
                await keep(message)
            keyword = await consent.on_inbound(actor, contact, inbox.channel, body, message.id)
            if keyword is not None:
                await add_message(
                    actor,
                    conversation,
                    kind="TEXT",
                    direction="OUTBOUND",
                    status="QUEUED",
                    body=keyword.reply,
                    at=datetime.now(UTC),
                    author_label="consent",
                    summary=N_(
                        "Acknowledged {keyword_word} in conversation #{conversation_number}",
                        keyword_word=keyword.word,
                        conversation_number=conversation.number,
                    ),
                )
    except IntegrityError:
        # The same provider id arrived concurrently and committed first.
        existing = await _stored(inbox.id, external_id)
        if existing is None:
            raise
        return existing
    return Received(message, conversation, True)


async def _thread(inbox: Inbox, thread_id: int | None) -> Conversation | None:
    """The unresolved conversation of this inbox a message answers, locked
    (a resolved one is history: the message opens a new one)."""
    if thread_id is None:
        return None
    return (
        await Conversation.filter(id=thread_id, inbox_id=inbox.id, status__not="RESOLVED")
        .select_for_update()
        .first()
    )


async def _stored(inbox_id: int, external_id: str) -> Received | None:
    message = await Message.filter(inbox_id=inbox_id, external_id=external_id).first()
    if message is None:
        return None
    conversation = await Conversation.get(id=message.conversation_id)
    return Received(message, conversation, False)


async def receive_message(ctx: Context, values: dict[str, Any]) -> Received:
    """receiveMessage: intake for any inbox by an ADMIN or an API key."""
    actor = ctx.require_actor()
    if not (actor.is_admin or actor.api_key_id is not None):
        raise AuthError("FORBIDDEN", _("Only administrators and API keys may deliver messages to an inbox."))
    inbox = await named_record(ctx, Inbox, values.get("inbox_id"), ["input", "inboxId"])
    sender = read_sender(values.get("from") or {}, ["input", "from"])
    body = check_body(inbox.channel, values.get("body"), ["input", "body"])
    external_id = (values.get("external_id") or "").strip()
    if not external_id or len(external_id) > 255:
        raise DomainError("INVALID", _("externalId must be 1-255 characters."), ["input", "externalId"])
    at = message_time(values.get("at"), ["input", "at"], datetime.now(UTC))
    return await receive(ctx.settings, actor, inbox, sender, body=body, external_id=external_id, at=at)


def reply_window_closes_at(inbox: Inbox, conversation: Conversation) -> datetime | None:
    """When free text stops being allowed (None: the channel has no window)."""
    if inbox.reply_window_hours is None:
        return None
    if conversation.last_inbound_at is None:
        return datetime.min.replace(tzinfo=UTC)
    return conversation.last_inbound_at + timedelta(hours=inbox.reply_window_hours)


def can_reply(inbox: Inbox, conversation: Conversation, now: datetime | None = None) -> bool:
    closes = reply_window_closes_at(inbox, conversation)
    return closes is None or closes > (now or datetime.now(UTC))
