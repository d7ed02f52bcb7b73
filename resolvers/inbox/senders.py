"""Channel senders: how a QUEUED outbound message leaves. A channel is an
adapter registered by kind (STYLE.md "Providers behind one interface");
the inbox knows this interface, never a provider's JSON. The API channel's
sender is a no-op (partners read replies from the API or webhooks), so
its messages are SENT at once. Channels whose adapter is not installed
keep their messages QUEUED until one is.

`deliver` runs after commit (a task, in-process when embedded), and is
idempotent: a message that is no longer QUEUED is left alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tortoise.expressions import Q

from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.inbox.stream import record_inbox_event, seen_of
from revgraph.resolvers.settings import Settings

# Longer than any provider's send may take (the WhatsApp timeout is 15 s):
# a process that dies mid-send frees its message after this.
SEND_LEASE = timedelta(minutes=2)


@dataclass
class SendResult:
    """What the provider answered: its id for the message (SENT), or why it refused (FAILED)."""

    external_id: str | None = None
    error: str | None = None
    # The channel's facts about the send, merged into Message.channel_data
    # (e-mail: the Message-ID, In-Reply-To and References it went with).
    channel_data: dict[str, Any] | None = None


class ChannelSender(Protocol):
    async def send(
        self, settings: Settings, inbox: Inbox, conversation: Conversation, message: Message
    ) -> SendResult:
        """Hand one message to the provider. Raise to be retried (a timeout,
        a 5xx); return an error for a refusal that retrying will not fix."""


class ApiChannelSender:
    """The API channel: nothing to send, partners read it from the API."""

    async def send(
        self, settings: Settings, inbox: Inbox, conversation: Conversation, message: Message
    ) -> SendResult:
        return SendResult()


SENDERS: dict[str, ChannelSender] = {"API": ApiChannelSender()}


def register_sender(channel: str, sender: ChannelSender) -> None:
    SENDERS[channel] = sender


class EarlierMessageInFlight(Exception):
    """An earlier message of the conversation is being sent by another task:
    this one must not overtake it (raised so that its task is retried)."""


# `_send_one`'s answer when another task holds the message's send.
_HELD = "HELD"


async def deliver(settings: Settings, message_id: int) -> str | None:
    """Send a QUEUED outbound message through its channel's sender and
    record the outcome (SENT with the provider's id, or FAILED with its
    error) as a MESSAGE_UPDATED event. The new status, or None when there
    was nothing to do.

    A conversation's messages leave in the order they were written: the
    ones before this one still QUEUED (a send being retried, a task that
    ran late) are sent first, and while one of them is in another task's
    hands this raises EarlierMessageInFlight, to be retried. A contact who
    writes SAIR and then VOLTAR gets the two acknowledgements in that
    order, whichever task runs first."""
    message = await Message.filter(id=message_id, direction="OUTBOUND", status="QUEUED").first()
    if message is None:
        return None
    inbox = await Inbox.get(id=message.inbox_id)
    sender = SENDERS.get(inbox.channel)
    if sender is None:
        return None
    conversation = await Conversation.get(id=message.conversation_id)
    earlier = (
        await Message.filter(
            conversation_id=message.conversation_id, direction="OUTBOUND", status="QUEUED", id__lt=message_id
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for earlier_id in earlier:
        if await _send_one(settings, sender, inbox, conversation, earlier_id) == _HELD:
            raise EarlierMessageInFlight(f"message {earlier_id} goes before message {message_id}")
    status = await _send_one(settings, sender, inbox, conversation, message_id)
    return None if status == _HELD else status


async def _send_one(
    settings: Settings, sender: ChannelSender, inbox: Inbox, conversation: Conversation, message_id: int
) -> str | None:
    """Send one QUEUED message of `conversation`: its new status, None when
    it is no longer QUEUED, or _HELD when another task's send holds it."""
    # One send in flight per message: a retry chain and the outbound sweep
    # may both hold its id, and the contact must get it once.
    now = datetime.now(UTC)
    claimed = (
        await Message.filter(id=message_id, status="QUEUED")
        .filter(Q(send_lease_until__isnull=True) | Q(send_lease_until__lt=now))
        .update(send_lease_until=now + SEND_LEASE)
    )
    if not claimed:
        queued = await Message.filter(id=message_id, status="QUEUED").exists()
        return _HELD if queued else None
    message = await Message.get(id=message_id)
    try:
        result = await sender.send(settings, inbox, conversation, message)
    except BaseException:
        await Message.filter(id=message_id).update(send_lease_until=None)
        raise
    status = "FAILED" if result.error else "SENT"
    return await set_status(
        message_id,
        status,
        external_id=result.external_id,
        error=result.error,
        channel_data=result.channel_data,
    )


async def set_status(
    message_id: int,
    status: str,
    *,
    external_id: str | None = None,
    error: str | None = None,
    channel_data: dict[str, Any] | None = None,
) -> str | None:
    """Move a message's delivery status (its MESSAGE_UPDATED event), in its
    own transaction; a status never goes back (READ stays READ)."""
    order = ["QUEUED", "SENT", "DELIVERED", "READ"]
    async with unit_of_work():
        message = await Message.filter(id=message_id).select_for_update().first()
        if message is None or message.status == status:
            return None
        if (
            status != "FAILED"
            and message.status in order
            and order.index(status) < order.index(message.status)
        ):
            return None
        message.status = status
        if external_id is not None:
            message.external_id = external_id
        if error is not None:
            message.error = error[:2000]
        if channel_data:
            message.channel_data = {**(message.channel_data or {}), **channel_data}
        await message.save(update_fields=["status", "external_id", "error", "channel_data"])
        conversation = await Conversation.get(id=message.conversation_id)
        await record_inbox_event(
            None,
            conversation,
            "message.updated",
            N_(
                "Message in conversation #{conversation_number}: {status}",
                conversation_number=conversation.number,
                status=status,
            ),
            before=await seen_of(conversation),
            data={"status": status, "error": message.error},
            message_id=message.id,
            actor_label="channel",
        )
    return status
