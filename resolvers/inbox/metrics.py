"""The metrics ledger's writes: each measured stretch of a conversation is
a row when it ends (models/inbox.py ConversationSegment), so reports read
finished numbers instead of replaying messages. Wall-clock seconds."""

from __future__ import annotations

from datetime import datetime

from revgraph.models.inbox import Conversation, ConversationSegment


async def _segment(
    conversation: Conversation, kind: str, start: datetime, end: datetime, user_id: int | None
) -> None:
    await ConversationSegment.create(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        kind=kind,
        user_id=user_id,
        started_at=start,
        ended_at=end,
        seconds=max(0, int((end - start).total_seconds())),
    )


async def wait_answered(conversation: Conversation, at: datetime, user_id: int) -> None:
    """A person's reply ended the contact's wait (TME); the first one is
    also the conversation's first response. Call before the conversation's
    `waiting_since` and `first_reply_at` move."""
    if conversation.waiting_since is not None:
        await _segment(conversation, "WAIT", conversation.waiting_since, at, user_id)
    if conversation.first_reply_at is None and conversation.first_inbound_at is not None:
        await _segment(conversation, "FIRST_RESPONSE", conversation.first_inbound_at, at, user_id)


async def resolved(conversation: Conversation, at: datetime) -> None:
    """Handle time (TMA: first human reply to resolution) and resolution
    time (first inbound to resolution); a reopened conversation's next
    resolution replaces them."""
    await ConversationSegment.filter(
        conversation_id=conversation.id, kind__in=("HANDLE", "RESOLUTION")
    ).delete()
    if conversation.first_reply_at is not None:
        await _segment(conversation, "HANDLE", conversation.first_reply_at, at, conversation.assignee_id)
    if conversation.first_inbound_at is not None:
        await _segment(
            conversation, "RESOLUTION", conversation.first_inbound_at, at, conversation.assignee_id
        )
