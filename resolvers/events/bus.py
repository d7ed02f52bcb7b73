"""Publishing the log after commit, and listening to it.

One broadcaster channel per workspace carries every event of that workspace
as JSON. In the embedded mode the channel is in-process (`memory://`); with
REVGRAPH_REDIS_URL it crosses processes through `ResilientRedisBackend`.
The log, not the bus, is the truth: an event that could not be published
stays `dispatched = false` and the sweeper publishes it later."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from broadcaster import Broadcast
from broadcaster import Event as BusMessage
from broadcaster._base import Subscriber

from revgraph.models.events import Event
from revgraph.resolvers.bulk_insert import in_list
from revgraph.resolvers.events.redis_backend import RESYNC, ResilientRedisBackend
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)

DispatchHook = Callable[[list[dict[str, Any]]], Awaitable[None]]
Listening = AbstractAsyncContextManager[AsyncIterator[dict[str, Any] | None]]
# An event whose data names credentials it withdrew (resolvers/revocations.py).
REVOKES = "revokes"


class SafeBroadcast(Broadcast):
    """broadcaster's Broadcast with its subscribe race fixed: the queue is
    registered before the backend is awaited, and later subscribers to a
    channel wait until the first one's SUBSCRIBE completed (STACK.md: with 50
    concurrent first subscribers, 49 lost their queue)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ready: dict[str, asyncio.Future[None]] = {}

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:  # type: ignore[override]
        queue: asyncio.Queue[BusMessage | None] = asyncio.Queue()
        queues = self._subscribers.setdefault(channel, set())
        first = not queues
        queues.add(queue)
        try:
            if first:
                ready = asyncio.get_running_loop().create_future()
                self._ready[channel] = ready
                try:
                    await self._backend.subscribe(channel)
                finally:
                    if not ready.done():
                        ready.set_result(None)
            else:
                ready = self._ready.get(channel)
                if ready is not None:
                    await asyncio.shield(ready)
            yield Subscriber(queue)
        finally:
            queues.discard(queue)
            if not queues and self._subscribers.get(channel) is queues:
                del self._subscribers[channel]
                self._ready.pop(channel, None)
                await self._backend.unsubscribe(channel)
            queue.put_nowait(None)

    async def disconnect(self) -> None:
        # broadcaster re-raises the listener's outcome, so a listener already
        # cancelled (the loop shutting down) aborted the caller's cleanup
        # before the backend, and the database after it, were closed.
        self._listener_task.cancel()
        (outcome,) = await asyncio.gather(self._listener_task, return_exceptions=True)
        if isinstance(outcome, Exception):
            log.error("event bus listener had failed: %r", outcome)
        await self._backend.disconnect()


def serialize(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "workspace_id": event.workspace_id,
        "kind": event.kind,
        "summary": event.summary,
        "data": event.data,
        "actor_user_id": event.actor_user_id,
        "actor_label": event.actor_label,
        "contact_id": event.contact_id,
        "company_id": event.company_id,
        "deal_id": event.deal_id,
        "pipeline_id": event.pipeline_id,
        "board_sequence": event.board_sequence,
        "conversation_id": event.conversation_id,
        "inbox_sequence": event.inbox_sequence,
        "at": event.at.isoformat(),
    }


class EventBus:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis_backend: ResilientRedisBackend | None = None
        if settings.redis_url:
            self.redis_backend = ResilientRedisBackend(settings.redis_url)
            self.broadcast = SafeBroadcast(backend=self.redis_backend)
        else:
            self.broadcast = SafeBroadcast("memory://")
        self.prefix = settings.redis_prefix
        self.hooks: list[DispatchHook] = []
        self._recent: OrderedDict[int, tuple[BusMessage, dict[str, Any]]] = OrderedDict()
        self.connected = False

    def channel(self, workspace_id: int) -> str:
        return f"{self.prefix}:events:{workspace_id}"

    async def connect(self) -> None:
        await self.broadcast.connect()
        self.connected = True

    async def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            await self.broadcast.disconnect()

    async def ping(self) -> None:
        """Raise unless the transport answers (health checks); in-process
        delivery always does."""
        if self.redis_backend is not None:
            await self.redis_backend.ping()

    def revocations_channel(self) -> str:
        return f"{self.prefix}:revocations"

    async def publish(self, events: list[dict[str, Any]]) -> None:
        messages: list[tuple[str, str]] = []
        for wire in events:
            message = json.dumps(wire, default=str)
            messages.append((self.channel(wire["workspace_id"]), message))
            if (wire.get("data") or {}).get(REVOKES):
                # Every process must hear that a credential stopped working,
                # whichever workspaces it happens to listen to.
                messages.append((self.revocations_channel(), message))
        if self.redis_backend is not None and len(messages) > 1:
            # A bulk load's events (an import batch's hundreds): one round trip.
            await self.redis_backend.publish_many(messages)
            return
        for channel, message in messages:
            await self.broadcast.publish(channel, message)

    def listen(self, workspace_id: int) -> Listening:
        """Yield an iterator of wire events; None means "you may have missed
        something: re-read the log from your last sequence"."""
        return self._listen(self.channel(workspace_id))

    def listen_revocations(self) -> Listening:
        """The events of every workspace that withdrew credentials; None
        means some may have been missed (check the credentials you hold)."""
        return self._listen(self.revocations_channel())

    @asynccontextmanager
    async def _listen(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any] | None]]:
        async with self.broadcast.subscribe(channel) as subscriber:

            async def messages() -> AsyncIterator[dict[str, Any] | None]:
                async for message in subscriber:  # type: ignore[union-attr]
                    if message is None:
                        return
                    yield None if message.message == RESYNC else self._decoded(message)

            yield messages()

    def _decoded(self, message: BusMessage) -> dict[str, Any]:
        """Every listener of a channel receives the same message object:
        decode it once for all of them (read-only from here on)."""
        hit = self._recent.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        decoded = json.loads(message.message)
        self._recent[id(message)] = (message, decoded)
        while len(self._recent) > 256:
            self._recent.popitem(last=False)
        return decoded


_bus: EventBus | None = None


def install_bus(bus: EventBus | None) -> None:
    """Set the process's bus (web lifespan, worker boot, tests)."""
    global _bus
    _bus = bus


def current_bus() -> EventBus | None:
    return _bus


async def dispatch(events: list[Event]) -> bool:
    """Publish events and run the dispatch hooks (task enqueueing), then mark
    them dispatched. On failure they stay pending for the sweeper."""
    bus = _bus
    if bus is None or not events:
        return False
    wire = [serialize(e) for e in events]
    try:
        await bus.publish(wire)
        for hook in bus.hooks:
            await hook(wire)
    except Exception:
        log.exception("dispatch of %d event(s) failed; the sweeper will retry", len(events))
        return False
    await Event.filter(id__in=in_list(e.id for e in events)).update(dispatched=True)
    return True


async def dispatch_after_commit(events: list[Event]) -> None:
    try:
        await dispatch(events)
    except Exception:  # never fail a committed mutation because of delivery
        log.exception("post-commit dispatch failed")


async def dispatch_pending(batch: int = 500, older_than_seconds: float = 0.0) -> int:
    """Dispatch events that a crash or an outage left undispatched, oldest
    first. Run at start and periodically; consumers are idempotent by id."""
    from datetime import UTC, datetime, timedelta

    total = 0
    while True:
        query = Event.filter(dispatched=False)
        if older_than_seconds:
            query = query.filter(at__lt=datetime.now(UTC) - timedelta(seconds=older_than_seconds))
        events = await query.order_by("id").limit(batch)
        if not events:
            return total
        if not await dispatch(events):
            return total
        total += len(events)
        if len(events) < batch:
            return total
