"""Live fan-out: one hub per stream and process. A stream is a numbered,
gap-free sequence of the log that subscribers follow in order — a
pipeline's board (resolvers/board.py), a workspace's inbox
(resolvers/inbox/live.py) — described to the hub by a small `Stream`: which
wire events belong to it and their sequence, its latest sequence, how to
replay it from the log, and what a group of subscribers gets of an event.

A hub listens to the workspace's bus once for all the process's
subscribers of one stream, follows the stream's sequence (reading the log
itself when the bus skipped something), and for each event works once per
*group* of subscribers — those sharing an audience (a visibility scope and
what they asked to follow) and a selection set — and then writes the same
frame to each of them. One read of the event's rows, one execution and one
JSON encoding per group and event; per subscriber only the socket write is
left, and that goes straight to the socket's transport when it can
(FrameSink.send_now, web/ws_frames.py).

Events that arrive together — several already waiting on the bus while the
hub was busy with one, or a stretch read back from the log — are held and
written to each socket in one write (FrameSink.send_now_many): the kernel's
cost of a send is per call far more than per byte, so a burst of k events
costs each subscriber one send instead of k. A single event is written at
once, as before; a burst is held at most HOLD_EVENTS events or HOLD_SECONDS.

A subscriber first catches up from the log on its own
(resolvers/live_streams.follow), then
joins the hub at a sequence the hub has already reached, so nothing is
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
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Hashable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from revgraph.resolvers.context import Context
from revgraph.resolvers.events.bus import EventBus

log = logging.getLogger(__name__)

# Frames waiting behind a socket that does not take them; past this, the
# subscriber falls back to reading the log once its socket has caught up.
MAX_BACKLOG = 500

# A burst's frames are held for one write per socket up to this many events
# or this long (from the first held), then written and the next ones held.
# Holding delays a held frame behind the rendering of the burst's next events
# (each rendered once per group), which is short next to writing every socket
# once per event (2,500 sockets: ~35 ms of sends each). Under load the
# rendering is slow too: a 20 ms bound ended most bursts of 5 after one or
# two events at 500 subscribers, load 10 (bench/READS.md).
HOLD_EVENTS = 16
HOLD_SECONDS = 0.1


class FrameSink(Protocol):
    """Where one subscription's frames go (web/graphql_view.py makes one
    per graphql-transport-ws operation)."""

    # The operation's variables as the client sent them.
    variables: dict[str, Any] | None

    def alive(self) -> bool:
        """False once the operation was completed or its socket closed."""

    def send(self, payload: str) -> Coroutine[Any, Any, None]:
        """Send one result; `payload` is the JSON of {"data": ..., "errors": ...}."""

    def send_now(self, payload: bytes) -> bool:
        """Send one result (the same JSON, UTF-8) at once, without awaiting,
        if the socket can take it so (web/ws_frames.py); False: nothing was
        sent, use `send`. Always False once not `alive()`: the hub writes
        with this alone, once per subscriber and event, and asks `alive`
        only when it answers False. (The hub takes it, bound, once: when
        the subscriber joins.)"""

    # Optional: `send_now_many(payloads: list[bytes]) -> bool` sends several
    # results at once, in order, in one write (all or none). Without it a
    # held burst goes out through `send_now`, one write per result.


# Set by the transport for the task that runs one subscription operation;
# without it, live events go through the per-subscriber path.
current_sink: ContextVar[FrameSink | None] = ContextVar("live_frame_sink", default=None)

# Turns a delivery record into the payload JSON of a group's selection set.
Render = Callable[[Any], Awaitable[str]]


class Stream(Protocol):
    """What a hub needs to know of the stream it follows. `audience` is
    whatever decides what a group of subscribers gets (the board: their
    visibility scope; the inbox: their scope and inbox filter): hashable,
    it keys the groups."""

    @property
    def workspace_id(self) -> int:
        """The workspace whose bus channel carries the stream."""

    @property
    def key(self) -> Hashable:
        """Which stream of the workspace: one hub per (workspace, key) and process."""

    def sequence_of(self, wire: dict[str, Any]) -> int | None:
        """The event's place in the stream; None when it is not of this stream."""

    async def latest(self) -> int:
        """The newest committed sequence (0 before any)."""

    def replay(self, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
        """The stream's events of the log after `after` (up to `until`),
        as wire events (resolvers/events/bus.serialize), in sequence order."""

    async def deliverable(self, ctx: Context, audience: Any, wire: dict[str, Any]) -> Any | None:
        """What subscribers of `audience` get of the event (shared by the
        group, rendered once), or None when they get nothing."""


def step(stream: Stream, wire: dict[str, Any] | None, last: int) -> tuple[str, int | None]:
    """What a follower of `stream` that has everything up to `last` does
    with a message of the bus: ("skip", None) when it is not of the stream
    or was had already (from the log, or a duplicate publish); ("gap",
    until) when something was missed (a gap, or a resync marker: until
    None) and the log must be read up to `until`; ("next", its sequence)
    when it is the one expected."""
    sequence = None if wire is None else stream.sequence_of(wire)
    if wire is not None and (sequence is None or sequence <= last):
        return "skip", None
    if sequence is None or sequence > last + 1:
        return "gap", sequence
    return "next", sequence


@dataclass
class Direct:
    """How a stream's hub feeds a subscriber live: where its frames go,
    what identifies its selection set among the process's subscribers, and
    how to render an event with it."""

    sink: FrameSink
    selection_key: Hashable
    render: Render


@dataclass(eq=False)
class Group:
    key: Hashable
    audience: Any
    ctx: Context
    render: Render
    members: dict[Member, None] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class Member:
    """One subscriber joined to a hub. (Slots: what `deliver_each` reads of
    it per event sits in the object itself, not in a separate array.)"""

    hub: StreamHub
    group: Group
    sink: FrameSink
    # Events up to this sequence reached the subscriber before it joined.
    start_after: int
    # Resolved with the sequence to resume after (from the log) when the
    # subscriber fell behind, or with an exception when the hub stopped.
    wake: asyncio.Future[int]
    backlog: deque[str] | None = None
    lagged_at: int | None = None
    # Frames of a burst the hub is holding for one write (see hold).
    held: list[tuple[str, bytes, int]] | None = None
    # The sink's send_now, bound once: `deliver_each` calls it per event.
    send_now: Callable[[bytes], bool] = field(init=False)

    def __post_init__(self) -> None:
        self.send_now = self.sink.send_now

    def hold(self, payload: str, encoded: bytes, sequence: int) -> None:
        """Keep a frame of a burst until the hub's flush, which writes all
        of them at once. A subscriber already waiting on its socket (or cut
        off) takes the usual path: its frames queue behind the waiting one."""
        held = self.held
        if held is None:
            if self.lagged_at is not None or self.backlog is not None:
                self.deliver(payload, encoded, sequence)
                return
            held = self.held = []
            self.hub.holders.append(self)
        held.append((payload, encoded, sequence))

    def flush(self) -> None:
        """Write the held frames, in order: in one write when the socket
        takes them so, else one by one through `deliver` (its backlog and
        its cut-off as for any frame)."""
        held, self.held = self.held, None
        if not held:
            return
        if self not in self.group.members:
            return  # left the hub meanwhile (its subscription ended)
        if len(held) > 1:
            send_many = getattr(self.sink, "send_now_many", None)
            if send_many is not None:
                if not self.sink.alive():
                    self.hub.leave(self)
                    return
                try:
                    if send_many([encoded for _, encoded, _ in held]):
                        return
                except Exception:
                    self.hub.leave(self)  # the socket is gone
                    return
        for payload, encoded, sequence in held:
            self.deliver(payload, encoded, sequence)

    def deliver(self, payload: str, encoded: bytes, sequence: int) -> None:
        """One frame to this subscriber alone (a held frame the socket did
        not take in one write): as `deliver_each` does for a group."""
        deliver_each((self,), payload, encoded, sequence)

    def _deliver_otherwise(self, payload: str, sequence: int) -> None:
        """A frame the socket could not take at once: behind the waiting
        ones, or through the sink's `send` (which may wait on the socket)."""
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


def deliver_each(members: Iterable[Member], payload: str, encoded: bytes, sequence: int) -> None:
    """Write one event's frame (`payload`, and its UTF-8 `encoded`, the same
    objects for a whole group) to each member that joined before it.

    This loop is the hub's per-subscriber cost for a lone event, so the
    usual case is written out here rather than in a method per member:
    nothing waits on the socket and the frame goes straight to its
    transport through the sink's `send_now`, bound once per member — one
    Python call per subscriber down to the socket's writer. (No `alive`
    here: a sink that is not alive refuses `send_now`.) Anything else — a
    send still waiting on the socket, a subscriber cut off, a socket that
    cannot take the frame at once — goes through `_deliver_otherwise`."""
    for member in members:
        if member.start_after >= sequence:
            continue  # joined after reading this event from the log
        if member.backlog is None and member.lagged_at is None:
            try:
                if member.send_now(encoded):
                    continue
            except Exception:
                member.hub.leave(member)  # the socket is gone
                continue
        member._deliver_otherwise(payload, sequence)


async def _next(messages: AsyncIterator[Any]) -> tuple[bool, Any]:
    """(True, the next message) or (False, None) at the end."""
    try:
        return True, await anext(messages)
    except StopAsyncIteration:
        return False, None


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


class StreamHub:
    def __init__(self, bus: EventBus, stream: Stream) -> None:
        self.bus = bus
        self.stream = stream
        # The newest sequence the hub has taken on: everything up to it was
        # or is being delivered to members, so a joiner must have read the
        # log up to it first.
        self.last = 0
        self.groups: dict[Hashable, Group] = {}
        self.users = 0
        self.senders: set[asyncio.Future[None]] = set()
        # While True, members keep this event's frames (Member.hold) until
        # `flush`; `holders`: the members keeping some, `held`: how many
        # events, since `held_since` (loop time).
        self.holding = False
        self.holders: list[Member] = []
        self.held = 0
        self.held_since = 0.0
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._run(), name=f"live-hub:{stream.workspace_id}:{stream.key}")

    @property
    def running(self) -> bool:
        return not self.task.done()

    def join(
        self, key: Hashable, audience: Any, ctx: Context, render: Render, sink: FrameSink, start_after: int
    ) -> Member:
        """Add a subscriber that has delivered everything up to
        `start_after` (which must be >= self.last). Never awaits."""
        assert start_after >= self.last, "a joiner must have caught up with the hub"
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(key, audience, ctx, render)
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
            async with self.bus.listen(self.stream.workspace_id) as live:
                # Listening first, then reading the sequence: an event
                # committed in between is both <= last (read by joiners from
                # the log) and dropped here as already seen.
                self.last = await self.stream.latest()
                self.ready.set_result(None)
                # The next message is awaited in a task of its own, so that
                # after an event the hub sees whether another one is already
                # waiting (it was busy): then this burst's frames are held.
                messages = aiter(live)
                upcoming = asyncio.ensure_future(_next(messages))
                try:
                    while True:
                        more, wire = await upcoming
                        if not more:
                            break
                        upcoming = asyncio.ensure_future(_next(messages))
                        await self._take(wire)
                        if not upcoming.done():
                            # (one step of its task: takes a message already queued)
                            await asyncio.sleep(0)
                        if upcoming.done():
                            self._hold()  # the next one is here: hold on
                        elif self.holding:
                            self._flush()  # nothing waiting: write the burst now
                finally:
                    upcoming.cancel()
                    with contextlib.suppress(BaseException):
                        await upcoming
            error = RuntimeError("the event bus stopped")
        except asyncio.CancelledError:
            error = RuntimeError("the live hub was stopped")
            raise
        except Exception as exc:
            log.exception("live hub of %r failed", self.stream)
            error = exc
        finally:
            self._flush()  # what was held was delivered to the hub: send it
            if not self.ready.done():
                self.ready.set_exception(error or RuntimeError("the live hub stopped"))
            for group in self.groups.values():
                for member in group.members:
                    if not member.wake.done():
                        member.wake.set_exception(error or RuntimeError("the live hub stopped"))
            for sender in self.senders:
                sender.cancel()

    async def _take(self, wire: dict[str, Any] | None) -> None:
        action, sequence = step(self.stream, wire, self.last)
        if action == "gap":
            # Read the log once for every member; what it reads comes
            # together, so it is held and written in as few writes as the
            # hold allows.
            async for event in self.stream.replay(self.last, sequence):
                self._hold()
                await self._deliver(event)
            self._flush()
        elif action == "next" and wire is not None:
            await self._deliver(wire)

    def _hold(self) -> None:
        """Hold the next events' frames (a burst), until `_flush`."""
        if not self.holding:
            self.holding = True
            self.held_since = asyncio.get_running_loop().time()

    def _flush(self) -> None:
        """Write every frame held, one write per member, and stop holding."""
        self.holding = False
        self.held = 0
        holders, self.holders = self.holders, []
        for member in holders:
            member.flush()

    async def _deliver(self, wire: dict[str, Any]) -> None:
        sequence = self.stream.sequence_of(wire)
        assert sequence is not None
        # Taken before any await: a subscriber joining meanwhile has read
        # this event from the log and is skipped below.
        self.last = sequence
        for group in list(self.groups.values()):
            record = await self.stream.deliverable(group.ctx, group.audience, wire)
            if record is None:
                continue
            try:
                payload = await group.render(record)
            except Exception:
                log.exception("event %s of %r failed to render", sequence, self.stream)
                continue
            encoded = payload.encode()  # once per group, not per socket
            if self.holding:
                for member in list(group.members):
                    if member.start_after < sequence:
                        member.hold(payload, encoded, sequence)
            else:
                deliver_each(list(group.members), payload, encoded, sequence)
        if self.holding:
            self.held += 1
            if (
                self.held >= HOLD_EVENTS
                or asyncio.get_running_loop().time() - self.held_since >= HOLD_SECONDS
            ):
                self._flush()
                self._hold()  # the burst goes on: hold its next frames


class HubRegistry:
    """The process's hubs, one per stream, alive while a subscriber uses it."""

    def __init__(self) -> None:
        # By (workspace id, stream key): a pipeline's board by the pipeline id.
        self.hubs: dict[tuple[int, Hashable], StreamHub] = {}

    @contextlib.asynccontextmanager
    async def use(self, bus: EventBus, stream: Stream) -> AsyncIterator[StreamHub]:
        key = (stream.workspace_id, stream.key)
        hub = self.hubs.get(key)
        if hub is None or not hub.running or hub.bus is not bus:
            hub = self.hubs[key] = StreamHub(bus, stream)
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
