"""The live board: a pipeline's deal events, replayed from the log and then
followed live, in sequence order, filtered by what each subscriber may see.

Sequences are gap-free per pipeline and committed in order (see
pipelines.next_board_sequence), so a subscriber always knows the next one
it expects: anything newer means something was missed (a slow or lost
publish, a Redis reconnect) and is read back from the log; anything older
is a duplicate and dropped."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from revgraph.models.events import Event
from revgraph.models.pipeline import Deal, Pipeline
from revgraph.resolvers.board_hub import FrameSink, Render, hubs
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import NotFound
from revgraph.resolvers.events.bus import current_bus
from revgraph.resolvers.visibility import Scope, scope_of

BOARD_KINDS = {
    "deal.created": "CREATED",
    "deal.restored": "CREATED",
    "deal.updated": "UPDATED",
    "deal.stage_changed": "MOVED",
    "deal.reordered": "MOVED",
    "deal.deleted": "REMOVED",
}
REPLAY_BATCH = 500


@dataclass
class EventSnapshot:
    """What every subscriber of one event shares in this process: the
    deal as it is after the event (read once), the batch loaders of the
    event's nested edges (owner, contact...), and one delivery record per
    visibility scope, so subscribers who see the same thing share it."""

    deal: Deal | None
    loaders: dict[str, Any] = field(default_factory=dict)
    records: dict[Scope, BoardEventRecord] = field(default_factory=dict)


class SnapshotCache:
    """Bounded, per-process: one deal read per event however many boards
    are open, instead of one per subscriber."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, datetime], asyncio.Future[EventSnapshot]] = OrderedDict()

    async def get(self, event_id: int, at: datetime, deal_id: int, removed: bool) -> EventSnapshot:
        # The event id alone would do in production; with `at` a key also
        # survives ids restarting (an emptied test database).
        key = (event_id, at)
        future = self.entries.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.entries[key] = future
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
            try:
                deal = None if removed else await Deal.filter(id=deal_id, deleted_at=None).first()
                future.set_result(EventSnapshot(deal))
            except Exception as exc:
                self.entries.pop(key, None)
                future.set_exception(exc)
                raise
        return await future


snapshots = SnapshotCache()


@dataclass
class BoardEventRecord:
    sequence: int
    kind: str
    deal_id: int
    from_stage_id: int | None
    to_stage_id: int | None
    after_deal_id: int | None
    actor_user_id: int | None
    at: datetime
    deal: Deal | None
    # The context of the subscribers sharing this record: their scope, the
    # event's shared loaders.
    ctx: Context
    # Per-record memo for the transport: subscribers of one scope running the
    # same operation share its execution result (schema/board.py).
    shared: dict[Any, Any] = field(default_factory=dict)


def _fields(wire: dict[str, Any]) -> dict[str, Any]:
    data = wire.get("data") or {}
    at = wire["at"]
    return {
        "sequence": wire["board_sequence"],
        "kind": BOARD_KINDS[wire["kind"]],
        "deal_id": wire["deal_id"],
        "from_stage_id": data.get("fromStageId"),
        "to_stage_id": data.get("toStageId"),
        "after_deal_id": data.get("afterDealId"),
        # Unknown for events recorded before the owner was: treat as hidden.
        "after_owner": data.get("afterDealOwnerId", -1),
        "actor_user_id": wire.get("actor_user_id"),
        "at": at if isinstance(at, datetime) else datetime.fromisoformat(at),
        "owners": data.get("owners") or [None, None],
    }


def _event_wire(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "deal_id": event.deal_id,
        "board_sequence": event.board_sequence,
        "data": event.data,
        "actor_user_id": event.actor_user_id,
        "at": event.at,
    }


async def _deliverable(ctx: Context, scope: Scope, wire: dict[str, Any]) -> BoardEventRecord | None:
    if wire.get("kind") not in BOARD_KINDS:
        return None
    values = _fields(wire)
    after_owner = values.pop("after_owner")
    before, after = values.pop("owners")
    if not (scope.sees_owner(before) or scope.sees_owner(after)):
        return None
    snapshot = await snapshots.get(wire["id"], values["at"], values["deal_id"], values["kind"] == "REMOVED")
    record = snapshot.records.get(scope)
    if record is None:
        deal = snapshot.deal
        if deal is not None and not scope.sees_owner(deal.owner_id):
            deal = None
        if values["after_deal_id"] is not None and not scope.sees_owner(after_owner):
            values["after_deal_id"] = await _nearest_visible_above(scope, deal)
        event_ctx = Context(
            settings=ctx.settings,
            actor=ctx.actor,
            request_id=ctx.request_id,
            client_ip=ctx.client_ip,
            cache={"scope": scope, "loaders": snapshot.loaders},
        )
        record = snapshot.records[scope] = BoardEventRecord(deal=deal, ctx=event_ctx, **values)
    return record


async def _nearest_visible_above(scope: Scope, deal: Deal | None) -> int | None:
    """The card right above `deal` in its column among those the scope may
    see (None: the top), which stands in for an anchor the scope may not
    see, so an event never names a card its subscriber cannot see."""
    if deal is None:
        return None
    above = (
        await Deal.filter(scope.owner_q(), stage_id=deal.stage_id, rank__lt=deal.rank, deleted_at=None)
        .exclude(id=deal.id)
        .order_by("-rank")
        .limit(1)
        .values_list("id", flat=True)
    )
    return above[0] if above else None


async def _replay(pipeline_id: int, after: int, until: int | None = None) -> AsyncIterator[Event]:
    while True:
        query = Event.filter(pipeline_id=pipeline_id, board_sequence__gt=after)
        if until is not None:
            query = query.filter(board_sequence__lte=until)
        batch = await query.order_by("board_sequence").limit(REPLAY_BATCH)
        for event in batch:
            yield event
            after = event.board_sequence
        if len(batch) < REPLAY_BATCH:
            return


async def _replay_wire(pipeline_id: int, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
    async for event in _replay(pipeline_id, after, until):
        yield _event_wire(event)


async def _read_log(
    ctx: Context, scope: Scope, pipeline_id: int, after: int, until: int | None = None
) -> AsyncIterator[tuple[int, BoardEventRecord | None]]:
    """(sequence, what this subscriber gets of it or None) for the log's
    events after `after` (up to `until`)."""
    async for event in _replay(pipeline_id, after, until):
        yield event.board_sequence, await _deliverable(ctx, scope, _event_wire(event))


@dataclass
class Direct:
    """How the pipeline's hub feeds a subscriber live (resolvers/board_hub.py):
    where its frames go, what identifies its selection set among the
    process's subscribers, and how to render an event with it."""

    sink: FrameSink
    selection_key: Hashable
    render: Render


async def board_events(
    ctx: Context, pipeline_pk: int, since: int | None, direct: Direct | None = None
) -> AsyncIterator[BoardEventRecord]:
    """Every change to deals of the pipeline that the caller may see (before
    or after the change), in order: first the log after `since`, then live.

    With `direct`, live events are written to the sink by the pipeline's
    hub and this generator yields only what it reads from the log itself
    (catching up at the start, or after its socket fell behind)."""
    actor = ctx.require_actor()
    pipeline = await Pipeline.filter(id=pipeline_pk, workspace_id=actor.workspace_id).first()
    if pipeline is None:
        raise NotFound("Pipeline", ["pipelineId"])
    scope = await scope_of(ctx)
    bus = current_bus()
    if bus is None:
        raise RuntimeError("the event bus is not running")
    last = pipeline.board_sequence if since is None else max(0, since)
    if direct is None:
        async for record in _listen_alone(ctx, scope, pipeline.id, last):
            yield record
        return
    while True:
        async with hubs.use(bus, actor.workspace_id, pipeline.id, _deliverable, _replay_wire) as hub:
            # Catch up from the log until level with the hub, then join it
            # without awaiting in between: the hub feeds what comes after.
            while last < hub.last:
                until = hub.last
                async for sequence, record in _read_log(ctx, scope, pipeline.id, last, until):
                    last = sequence
                    if record is not None:
                        yield record
                last = max(last, until)
            member = hub.join(
                (scope, direct.selection_key), scope, ctx, direct.render, direct.sink, start_after=last
            )
            try:
                last = await member.wake  # fell behind: read the rest from the log
            finally:
                hub.leave(member)


async def _listen_alone(
    ctx: Context, scope: Scope, pipeline_id: int, last: int
) -> AsyncIterator[BoardEventRecord]:
    """The per-subscriber path (transports without a frame sink)."""
    bus = current_bus()
    assert bus is not None
    # Listen first, then read the log: nothing committed in between is lost,
    # and the sequence check drops what both deliver.
    async with bus.listen(scope.workspace_id) as live:
        async for sequence, record in _read_log(ctx, scope, pipeline_id, last):
            last = sequence
            if record is not None:
                yield record
        async for wire in live:
            if wire is not None and (
                wire.get("pipeline_id") != pipeline_id or wire.get("board_sequence") is None
            ):
                continue
            if wire is not None and wire["board_sequence"] <= last:
                continue  # already delivered (replay overlap or duplicate publish)
            if wire is None or wire["board_sequence"] > last + 1:
                # Missed something (resync marker or a gap): read the log.
                until = None if wire is None else wire["board_sequence"]
                async for sequence, record in _read_log(ctx, scope, pipeline_id, last, until):
                    last = sequence
                    if record is not None:
                        yield record
                continue
            last = wire["board_sequence"]
            record = await _deliverable(ctx, scope, wire)
            if record is not None:
                yield record
