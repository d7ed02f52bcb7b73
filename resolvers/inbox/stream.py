"""The inbox stream: the log events that are inbox events, numbered
gap-free per workspace in the transaction that makes the change.

The sequence is the workspace's `inbox_event` counter row: the UPDATE that
takes the next number holds the row until commit, so a workspace's inbox
writers commit one at a time, in sequence order, and a subscriber knows
the next sequence it expects (the same design as the board's).

Each stream event carries who could see the conversation before and after
the change — its assignee and its inbox's queue, `data.seen = [before,
after]` — so a subscriber's delivery (resolvers/inbox/live.py) is decided
as of the event, on replay too."""

from __future__ import annotations

from typing import Any

from revgraph.models.events import Event
from revgraph.models.identity import SequenceCounter
from revgraph.models.inbox import Conversation, Inbox
from revgraph.resolvers.context import Actor
from revgraph.resolvers.events import record_event
from revgraph.resolvers.numbering import next_number

# Log kinds of the stream, and the InboxEventKind each one is (a change of
# a conversation becomes REMOVED for a subscriber who no longer sees it).
STREAM_KINDS = {
    "conversation.created": "CONVERSATION_CREATED",
    "conversation.updated": "CONVERSATION_UPDATED",
    "conversation.assigned": "CONVERSATION_UPDATED",
    "conversation.status_changed": "CONVERSATION_UPDATED",
    "conversation.sla_changed": "CONVERSATION_UPDATED",
    # The SLA timer's transitions (resolvers/inbox/sla.py check_due): kinds
    # of their own so automations and webhooks can match them.
    "conversation.sla_warning": "CONVERSATION_UPDATED",
    "conversation.sla_breached": "CONVERSATION_UPDATED",
    "message.created": "MESSAGE_CREATED",
    "message.updated": "MESSAGE_UPDATED",
}

# (assignee id, inbox's queue id): what decides who sees a conversation.
Seen = tuple[int | None, int | None]


async def inbox_of(conversation: Conversation) -> Inbox:
    """The conversation's inbox, read once per loaded conversation (a use
    case records several stream events and SLA refreshes about one
    conversation; its inbox does not change under it)."""
    inbox = getattr(conversation, "_inbox_row", None)
    if inbox is None or inbox.id != conversation.inbox_id:
        inbox = await Inbox.get(id=conversation.inbox_id)
        conversation._inbox_row = inbox  # type: ignore[attr-defined]
    return inbox


async def seen_of(conversation: Conversation) -> Seen:
    return (conversation.assignee_id, (await inbox_of(conversation)).queue_id)


async def record_inbox_event(
    actor: Actor | None,
    conversation: Conversation,
    kind: str,
    summary: str,
    *,
    before: Seen | None,
    data: dict[str, Any] | None = None,
    message_id: int | None = None,
    actor_label: str | None = None,
) -> Event:
    """Append a stream event about `conversation` as it is now (caller's
    transaction, inside unit_of_work). `before`: who saw it before the
    change (None: nobody, it is new)."""
    if kind not in STREAM_KINDS:
        raise ValueError(f"{kind} is not an inbox stream kind")
    after = await seen_of(conversation)
    payload = dict(data or {})
    payload["seen"] = [list(before) if before is not None else None, list(after)]
    payload["inboxId"] = conversation.inbox_id
    if message_id is not None:
        payload["messageId"] = message_id
    sequence = await next_number(conversation.workspace_id, "inbox_event")
    return await record_event(
        actor,
        conversation.workspace_id,
        kind,
        summary,
        data=payload,
        contact_id=conversation.contact_id,
        conversation_id=conversation.id,
        inbox_sequence=sequence,
        actor_label=actor_label,
    )


async def inbox_sequence(workspace_id: int) -> int:
    """The workspace's latest inbox stream sequence (0 before any)."""
    rows = await SequenceCounter.filter(workspace_id=workspace_id, name="inbox_event").values_list(
        "value", flat=True
    )
    return int(rows[0]) if rows else 0
