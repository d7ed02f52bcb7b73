"""Visitors' live messages: the agents' replies (and the visitor's own
messages from their other tabs) reach a visitor's socket through the
workspace's inbox stream — the same log, numbering and bus as the agents'
inboxEvents (resolvers/inbox/stream.py), so a reply committed by any
process reaches the visitor's socket on any other through Redis, and a
gap is read back from the log. One hub per workspace and process follows
the stream for all its visitors (resolvers/board_hub.py).

A visitor gets a MESSAGE_CREATED of their inbox and contact whose message
kind the contact may read (TEXT, TEMPLATE): never a NOTE or an ACTIVITY."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revgraph.models.inbox import Message
from revgraph.resolvers.board_hub import Direct
from revgraph.resolvers.channels.webchat import visitors
from revgraph.resolvers.context import Context
from revgraph.resolvers.inbox.live import InboxStream
from revgraph.resolvers.inbox.stream import inbox_sequence
from revgraph.resolvers.live_streams import SnapshotCache, follow

# Its own: the agents' stream keeps other rows under the same event ids.
snapshots = SnapshotCache()


@dataclass(frozen=True)
class VisitorAudience:
    """One visitor's view of the stream: their inbox and contact."""

    inbox_id: int
    contact_id: int


async def _message_and_author(message_id: int) -> tuple[Message | None, dict[int, str]]:
    message = await Message.filter(id=message_id).first()
    names = await visitors.author_names([message]) if message is not None else {}
    return message, names


@dataclass(frozen=True)
class VisitorStream:
    """A workspace's inbox stream as its visitors follow it (a Stream of
    resolvers/board_hub.py; its own hub, beside the agents')."""

    workspace_id: int

    @property
    def key(self) -> str:
        return "webchat-visitors"

    def sequence_of(self, wire: dict[str, Any]) -> int | None:
        return wire.get("inbox_sequence")

    async def latest(self) -> int:
        return await inbox_sequence(self.workspace_id)

    def replay(self, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
        return InboxStream(self.workspace_id).replay(after, until)

    async def deliverable(
        self, ctx: Context, audience: VisitorAudience, wire: dict[str, Any]
    ) -> dict[str, Any] | None:
        data = wire.get("data") or {}
        if (
            wire.get("kind") != "message.created"
            or data.get("messageKind") not in visitors.VISIBLE_KINDS
            or data.get("inboxId") != audience.inbox_id
            or wire.get("contact_id") != audience.contact_id
        ):
            return None
        at = wire["at"] if isinstance(wire["at"], datetime) else datetime.fromisoformat(wire["at"])
        snapshot = await snapshots.get(wire["id"], at, lambda: _message_and_author(data["messageId"]))
        message, names = snapshot.rows
        if message is None:
            return None
        return {"type": "message", "message": visitors.visitor_view(message, names)}


async def render(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


async def visitor_messages(
    ctx: Context, visit: visitors.Visit, contact_id: int, after: int, direct: Direct
) -> AsyncIterator[dict[str, Any]]:
    """The visitor's frames after inbox sequence `after`: the hub writes
    live ones to `direct`'s sink; this yields what is read from the log
    (catching up, or after the socket fell behind)."""
    stream = VisitorStream(visit.workspace_id)
    audience = VisitorAudience(visit.inbox.id, contact_id)
    async for record in follow(ctx, stream, audience, after, direct):
        yield record
