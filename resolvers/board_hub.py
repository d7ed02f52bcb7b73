"""Live board fan-out: one hub per pipeline and process.

A hub listens to the workspace's bus once for all the process's open boards
of one pipeline, follows the pipeline's sequence (reading the log itself
when the bus skipped something), and for each event works once per *group*
of subscribers — those sharing a visibility scope and a selection set — and
then writes the same frame to each of them. One deal read, one execution
and one JSON encoding per group and event; per subscriber only the socket
write is left.

A subscriber first catches up from the log on its own (resolvers/board.py),
then joins the hub at a sequence the hub has already reached, so nothing is
missed or repeated at the seam. A subscriber whose socket does not keep up
stops being fed once its backlog is full; when the backlog has drained it
reads what it missed from the log and joins again. The hub's memory per slow
subscriber is therefore bounded, and a slow subscriber never delays the
others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from revgraph.models.pipeline import Pipeline
from revgraph.resolvers.context import Context
from revgraph.resolvers.events.bus import EventBus
from revgraph.resolvers.visibility import Scope

log = logging.getLogger(__name__)

# Frames waiting behind a socket that does not take them; past this, the
# subscriber falls back to reading the log once its socket has caught up.
MAX_BACKLOG = 500


class FrameSink(Protocol):
    """Where one subscription's frames go (web/graphql_view.py makes one
    per graphql-transport-ws operation)."""

    # The operation's variables as the client sent them.
    variables: dict[str, Any] | None

    def alive(self) -> bool:
        """False once the operation was completed or its socket closed."""

    def send(self, payload: str) -> Coroutine[Any, Any, None]:
        """Send one result; `payload` is the JSON of {"data": ..., "errors": ...}."""


# Set by the transport for the task that runs one subscription operation;
# without it, board events go through the per-subscriber path.
current_sink: ContextVar[FrameSink | None] = ContextVar("board_frame_sink", default=None)

# Turns a delivery record into the payload JSON of a group's selection set.
Render = Callable[[Any], Awaitable[str]]
# (ctx, scope, wire event) -> a delivery record, or None when the scope may not see it.
Deliverable = Callable[[Context, Scope, dict[str, Any]], Awaitable[Any]]
# (pipeline id, after, until) -> wire events of the log, in sequence order.
Replay = Callable[[int, int, int | None], AsyncIterator[dict[str, Any]]]


@dataclass(eq=False)
class Group:
    key: Hashable
    scope: Scope
    ctx: Context
    render: Render
    members: dict[Member, None] = field(default_factory=dict)


@dataclass(eq=False)
class Member:
    """One subscriber joined to a hub."""

    hub: BoardHub
    group: Group
    sink: FrameSink
    # Events up to this sequence reached the subscriber before it joined.
    start_after: int
    # Resolved with the sequence to resume after (from the log) when the
    # subscriber fell behind, or with an exception when the hub stopped.
    wake: asyncio.Future[int]
    backlog: deque[str] | None = None
    lagged_at: int | None = None

    def deliver(self, payload: str, sequence: int) -> None:
        if self.lagged_at is not None:
            return
        if self.backlog is not None:  # a send is still waiting on the socket
            if len(self.backlog) >= MAX_BACKLOG:
                self.lagged_at = sequence - 1
                self.hub.leave(self)
                return
            self.backlog.append(payload)
            return
        if not self.sink.alive():
            self.hub.leave(self)
            return
        sending = self.sink.send(payload)
        try:
            # Run the send eagerly: a socket that accepts the frame at once
            # (the usual case) costs no task switch. A send that must wait
            # for the socket continues in a task, with later frames queued.
            waiting_on = sending.send(None)
        except StopIteration:
            return
        except Exception:
            self.hub.leave(self)  # the socket is gone
            return
        self.backlog = deque()
        task = asyncio.ensure_future(self._finish(sending, waiting_on))
        self.hub.senders.add(task)
        task.add_done_callback(self.hub.senders.discard)

    async def _finish(self, sending: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        try:
            await _resume(sending, waiting_on)
            while self.backlog:
                payload = self.backlog.popleft()
                if not self.sink.alive():
                    break
                await self.sink.send(payload)
        except Exception:
            self.hub.leave(self)
        finally:
            self.backlog = None
        if self.lagged_at is not None and not self.wake.done():
            self.wake.set_result(self.lagged_at)


async def _resume(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    """Drive a coroutine that was started by hand to its end: wait for what
    it is waiting on, then step it again (what a Task would do)."""
    try:
        while True:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait((waiting_on,))
            try:
                waiting_on = coroutine.send(None)
            except StopIteration:
                return
    except BaseException:
        coroutine.close()
        raise


class BoardHub:
    def __init__(
        self, bus: EventBus, workspace_id: int, pipeline_id: int, deliverable: Deliverable, replay: Replay
    ) -> None:
        self.bus = bus
        self.workspace_id = workspace_id
        self.pipeline_id = pipeline_id
        self.deliverable = deliverable
        self.replay = replay
        # The newest sequence the hub has taken on: everything up to it was
        # or is being delivered to members, so a joiner must have read the
        # log up to it first.
        self.last = 0
        self.groups: dict[Hashable, Group] = {}
        self.users = 0
        self.senders: set[asyncio.Future[None]] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._run(), name=f"board-hub:{pipeline_id}")

    @property
    def running(self) -> bool:
        return not self.task.done()

    def join(
        self, key: Hashable, scope: Scope, ctx: Context, render: Render, sink: FrameSink, start_after: int
    ) -> Member:
        """Add a subscriber that has delivered everything up to
        `start_after` (which must be >= self.last). Never awaits."""
        assert start_after >= self.last, "a joiner must have caught up with the hub"
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(key, scope, ctx, render)
        member = Member(self, group, sink, start_after, asyncio.get_running_loop().create_future())
        group.members[member] = None
        return member

    def leave(self, member: Member) -> None:
        group = member.group
        group.members.pop(member, None)
        if not group.members and self.groups.get(group.key) is group:
            del self.groups[group.key]

    async def _run(self) -> None:
        error: BaseException | None = None
        try:
            async with self.bus.listen(self.workspace_id) as live:
                # Listening first, then reading the sequence: an event
                # committed in between is both <= last (read by joiners from
                # the log) and dropped here as already seen.
                sequence = (
                    await Pipeline.filter(id=self.pipeline_id).values_list("board_sequence", flat=True)
                )[0]
                self.last = sequence
                self.ready.set_result(None)
                async for wire in live:
                    await self._take(wire)
            error = RuntimeError("the event bus stopped")
        except asyncio.CancelledError:
            error = RuntimeError("the board hub was stopped")
            raise
        except Exception as exc:
            log.exception("board hub of pipeline %s failed", self.pipeline_id)
            error = exc
        finally:
            if not self.ready.done():
                self.ready.set_exception(error or RuntimeError("the board hub stopped"))
            for group in self.groups.values():
                for member in group.members:
                    if not member.wake.done():
                        member.wake.set_exception(error or RuntimeError("the board hub stopped"))
            for sender in self.senders:
                sender.cancel()

    async def _take(self, wire: dict[str, Any] | None) -> None:
        if wire is not None:
            if wire.get("pipeline_id") != self.pipeline_id or wire.get("board_sequence") is None:
                return
            if wire["board_sequence"] <= self.last:
                return  # already taken (from the log, or a duplicate publish)
        if wire is None or wire["board_sequence"] > self.last + 1:
            # Missed something (a resync marker or a gap): read the log once
            # for every member.
            until = None if wire is None else wire["board_sequence"]
            async for event in self.replay(self.pipeline_id, self.last, until):
                await self._deliver(event)
            return
        await self._deliver(wire)

    async def _deliver(self, wire: dict[str, Any]) -> None:
        sequence = wire["board_sequence"]
        # Taken before any await: a subscriber joining meanwhile has read
        # this event from the log and is skipped below.
        self.last = sequence
        for group in list(self.groups.values()):
            record = await self.deliverable(group.ctx, group.scope, wire)
            if record is None:
                continue
            try:
                payload = await group.render(record)
            except Exception:
                log.exception("board event %s of pipeline %s failed to render", sequence, self.pipeline_id)
                continue
            for member in list(group.members):
                if member.start_after < sequence:
                    member.deliver(payload, sequence)


class HubRegistry:
    """The process's hubs, one per pipeline, alive while a subscriber uses it."""

    def __init__(self) -> None:
        self.hubs: dict[tuple[int, int], BoardHub] = {}

    @contextlib.asynccontextmanager
    async def use(
        self, bus: EventBus, workspace_id: int, pipeline_id: int, deliverable: Deliverable, replay: Replay
    ) -> AsyncIterator[BoardHub]:
        key = (workspace_id, pipeline_id)
        hub = self.hubs.get(key)
        if hub is None or not hub.running or hub.bus is not bus:
            hub = self.hubs[key] = BoardHub(bus, workspace_id, pipeline_id, deliverable, replay)
        hub.users += 1
        try:
            await asyncio.shield(hub.ready)
            yield hub
        finally:
            hub.users -= 1
            if hub.users == 0:
                if self.hubs.get(key) is hub:
                    del self.hubs[key]
                hub.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await hub.task


hubs = HubRegistry()
