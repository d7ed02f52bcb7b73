"""The live inbox: the workspace's inbox stream (resolvers/inbox/stream.py),
replayed from the log and then followed live through the process's hub
(resolvers/board_hub.py), in sequence order.

Each event is delivered as the subscriber's visibility was at it — its
`data.seen` says who saw the conversation before and after — on replay
too: CONVERSATION_CREATED and MESSAGE_* go to those who see the
conversation afterwards; a change of the conversation to those who saw it
before or see it afterwards, as REMOVED (no conversation, no message) to
those who saw it before and no longer do. `conversation` and `message`
are the rows as they are when the event is read (once per event and
process), null when the subscriber may no longer see them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.board_hub import Direct
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import NotFound
from revgraph.resolvers.events.bus import serialize
from revgraph.resolvers.i18n import _
from revgraph.resolvers.inbox.stream import STREAM_KINDS, inbox_sequence, seen_of
from revgraph.resolvers.live_streams import event_context, follow, numbered_events, snapshots
from revgraph.resolvers.visibility import Scope, queues_in_scope, scope_of, sees_conversation


@dataclass(frozen=True)
class Audience:
    """What decides which inbox events a group of subscribers gets: their
    scope, the queues with a member in it (whose unassigned conversations
    they see) and the inbox they follow (None: every inbox)."""

    scope: Scope
    queues: frozenset[int] | None
    inbox_id: int | None

    def saw(self, seen: list[int | None] | None) -> bool:
        """Whether the audience sees a conversation with this [assignee, queue]."""
        return seen is not None and sees_conversation(self.scope, self.queues, seen[0], seen[1])


@dataclass
class InboxEventRecord:
    sequence: int
    kind: str
    conversation_id: int
    # The rows as read for this event, None when REMOVED or no longer visible.
    conversation: Conversation | None
    message: Message | None
    actor_user_id: int | None
    at: datetime
    # The context of the subscribers sharing this record: their scope, the
    # event's shared loaders.
    ctx: Context
    # Per-record memo for the transport: subscribers of one audience running
    # the same operation share its execution result (schema/board.py).
    shared: dict[Any, Any] = field(default_factory=dict)


async def _rows_after(conversation_id: int, message_id: int | None) -> tuple[Any, int | None, Any]:
    """The conversation, its inbox's queue and the event's message, now."""
    conversation = await Conversation.filter(id=conversation_id).first()
    queue_id = (await seen_of(conversation))[1] if conversation is not None else None
    message = await Message.filter(id=message_id).first() if message_id is not None else None
    return conversation, queue_id, message


async def _deliverable(ctx: Context, audience: Audience, wire: dict[str, Any]) -> InboxEventRecord | None:
    kind = STREAM_KINDS.get(wire.get("kind", ""))
    if kind is None:
        return None
    data = wire.get("data") or {}
    if audience.inbox_id is not None and data.get("inboxId") != audience.inbox_id:
        return None
    before, after = data.get("seen") or (None, None)
    if not audience.saw(after):
        if kind != "CONVERSATION_UPDATED" or not audience.saw(before):
            return None
        kind = "REMOVED"
    at = wire["at"] if isinstance(wire["at"], datetime) else datetime.fromisoformat(wire["at"])
    conversation_id = wire["conversation_id"]
    snapshot = await snapshots.get(
        wire["id"], at, lambda: _rows_after(conversation_id, data.get("messageId"))
    )
    key = (audience.scope, audience.queues, kind == "REMOVED")
    record = snapshot.records.get(key)
    if record is None:
        conversation, queue_id, message = snapshot.rows
        visible = (
            kind != "REMOVED"
            and conversation is not None
            and sees_conversation(audience.scope, audience.queues, conversation.assignee_id, queue_id)
        )
        record = snapshot.records[key] = InboxEventRecord(
            sequence=wire["inbox_sequence"],
            kind=kind,
            conversation_id=conversation_id,
            conversation=conversation if visible else None,
            message=message if visible else None,
            actor_user_id=wire.get("actor_user_id"),
            at=at,
            ctx=event_context(ctx, snapshot, scope=audience.scope, scope_queues=audience.queues),
        )
    return record


async def _replay(workspace_id: int, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
    async for event in numbered_events("inbox_sequence", after, until, workspace_id=workspace_id):
        yield serialize(event)


@dataclass(frozen=True)
class InboxStream:
    """A workspace's inbox stream as its hub follows it
    (resolvers/board_hub.Stream); the audience is an `Audience`."""

    workspace_id: int

    @property
    def key(self) -> str:
        return "inbox"

    def sequence_of(self, wire: dict[str, Any]) -> int | None:
        return wire.get("inbox_sequence")

    async def latest(self) -> int:
        return await inbox_sequence(self.workspace_id)

    def replay(self, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
        return _replay(self.workspace_id, after, until)

    async def deliverable(
        self, ctx: Context, audience: Audience, wire: dict[str, Any]
    ) -> InboxEventRecord | None:
        return await _deliverable(ctx, audience, wire)


async def current_sequence(ctx: Context) -> int:
    """The workspace's latest inbox stream sequence: read it, then subscribe
    with since: it, and nothing is missed between the two."""
    return await inbox_sequence(ctx.require_actor().workspace_id)


async def inbox_events(
    ctx: Context, inbox_pk: int | None, since: int | None, direct: Direct | None = None
) -> AsyncIterator[InboxEventRecord]:
    """Every change to conversations the caller may see (of one inbox, or
    all), in order: first the log after `since` (null: from now), then live.
    An inbox id that names no inbox of the workspace is NOT_FOUND.

    With `direct`, live events are written to the sink by the workspace's
    inbox hub and this generator yields only what it reads from the log
    itself (catching up at the start, or after its socket fell behind)."""
    actor = ctx.require_actor()
    if inbox_pk is not None and not await Inbox.filter(id=inbox_pk, workspace_id=actor.workspace_id).exists():
        raise NotFound(_("Inbox"), ["inboxId"])
    audience = Audience(await scope_of(ctx), await queues_in_scope(ctx), inbox_pk)
    last = await inbox_sequence(actor.workspace_id) if since is None else max(0, since)
    async for record in follow(ctx, InboxStream(actor.workspace_id), audience, last, direct):
        yield record
