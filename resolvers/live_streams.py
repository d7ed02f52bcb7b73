"""Following a live stream (resolvers/board_hub.py): a subscriber's
records, read from the log up to where the stream's hub is and then fed by
the hub; and the per-process snapshot of an event that every subscriber
receiving it shares."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from revgraph.models.events import Event
from revgraph.resolvers.board_hub import Direct, Stream, hubs, step
from revgraph.resolvers.context import Context
from revgraph.resolvers.events.bus import EventBus, current_bus


@dataclass
class EventSnapshot:
    """What every subscriber of one event shares in this process: the
    event's rows as they are after it (read once: the deal, the
    conversation and message), the batch loaders of the event's nested
    edges (owner, contact...), and one delivery record per audience, so
    subscribers who get the same thing share it."""

    rows: Any
    loaders: dict[str, Any] = field(default_factory=dict)
    records: dict[Hashable, Any] = field(default_factory=dict)


class SnapshotCache:
    """Bounded, per-process: one read of an event's rows however many
    subscribers receive it, instead of one per subscriber."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, datetime], asyncio.Future[EventSnapshot]] = OrderedDict()

    async def get(self, event_id: int, at: datetime, read: Callable[[], Awaitable[Any]]) -> EventSnapshot:
        """The event's snapshot, its rows read by `read` the first time."""
        # The event id alone would do in production; with `at` a key also
        # survives ids restarting (an emptied test database).
        key = (event_id, at)
        future = self.entries.get(key)
        if future is None:
            future = asyncio.ensure_future(snapshot_of(read))
            self.entries[key] = future
            future.add_done_callback(partial(self._forget_failed, key))
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        # The read is the event's, not the caller's: a subscriber whose socket
        # closes while the rows are read is cancelled alone. Awaited bare, its
        # cancellation cancelled the shared read, and every other subscriber
        # of the event got CancelledError (or, had the reader been the one
        # cancelled, waited forever on a future nobody would resolve).
        return await asyncio.shield(future)

    def _forget_failed(self, key: tuple[int, datetime], future: asyncio.Future[EventSnapshot]) -> None:
        """A read that failed is not kept: the next subscriber reads again."""
        if (future.cancelled() or future.exception() is not None) and self.entries.get(key) is future:
            del self.entries[key]


async def snapshot_of(read: Callable[[], Awaitable[Any]]) -> EventSnapshot:
    return EventSnapshot(await read())


snapshots = SnapshotCache()

# Events read from the log per query when replaying a stream.
REPLAY_BATCH = 500


async def numbered_events(
    column: str, after: int, until: int | None = None, **stream: Any
) -> AsyncIterator[Event]:
    """The log's events of one stream (`stream`: its columns, e.g.
    pipeline_id=...) numbered by `column`, after `after` (up to `until`),
    in sequence order, read in batches."""
    while True:
        query = Event.filter(**stream, **{f"{column}__gt": after})
        if until is not None:
            query = query.filter(**{f"{column}__lte": until})
        batch = await query.order_by(column).limit(REPLAY_BATCH)
        for event in batch:
            yield event
            after = getattr(event, column)
        if len(batch) < REPLAY_BATCH:
            return


def event_context(ctx: Context, snapshot: EventSnapshot, **cache: Any) -> Context:
    """The context of the subscribers sharing one record of an event: the
    subscriber's actor, their per-subscription caches (`cache`: the scope)
    and the event's shared loaders."""
    return Context(
        settings=ctx.settings,
        actor=ctx.actor,
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
        cache={**cache, "loaders": snapshot.loaders},
    )


async def follow(
    ctx: Context, stream: Stream, audience: Any, last: int, direct: Direct | None = None
) -> AsyncIterator[Any]:
    """A subscriber's records of the stream after sequence `last`, in
    order: first from the log, then live.

    With `direct`, live events are written to the sink by the stream's hub
    and this generator yields only what it reads from the log itself
    (catching up at the start, or after its socket fell behind)."""
    bus = current_bus()
    if bus is None:
        raise RuntimeError("the event bus is not running")
    if direct is None:
        async for record in _listen_alone(bus, ctx, stream, audience, last):
            yield record
        return
    while True:
        async with hubs.use(bus, stream) as hub:
            # Catch up from the log until level with the hub, then join it
            # without awaiting in between: the hub feeds what comes after.
            while last < hub.last:
                until = hub.last
                async for sequence, record in _read_log(ctx, stream, audience, last, until):
                    last = sequence
                    if record is not None:
                        yield record
                last = max(last, until)
            member = hub.join(
                (audience, direct.selection_key), audience, ctx, direct.render, direct.sink, start_after=last
            )
            try:
                last = await member.wake  # fell behind: read the rest from the log
            finally:
                hub.leave(member)


async def _read_log(
    ctx: Context, stream: Stream, audience: Any, after: int, until: int | None = None
) -> AsyncIterator[tuple[int, Any]]:
    """(sequence, what this subscriber gets of it or None) for the log's
    events after `after` (up to `until`)."""
    async for wire in stream.replay(after, until):
        sequence = stream.sequence_of(wire)
        assert sequence is not None
        yield sequence, await stream.deliverable(ctx, audience, wire)


async def _listen_alone(
    bus: EventBus, ctx: Context, stream: Stream, audience: Any, last: int
) -> AsyncIterator[Any]:
    """The per-subscriber path (transports without a frame sink)."""
    # Listen first, then read the log: nothing committed in between is lost,
    # and the sequence check drops what both deliver.
    async with bus.listen(stream.workspace_id) as live:
        async for sequence, record in _read_log(ctx, stream, audience, last):
            last = sequence
            if record is not None:
                yield record
        async for wire in live:
            action, sequence = step(stream, wire, last)
            if action == "gap":
                async for read, record in _read_log(ctx, stream, audience, last, sequence):
                    last = read
                    if record is not None:
                        yield record
            elif action == "next" and wire is not None and sequence is not None:
                last = sequence
                record = await stream.deliverable(ctx, audience, wire)
                if record is not None:
                    yield record
