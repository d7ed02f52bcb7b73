"""The live board: a pipeline's deal events, replayed from the log and then
followed live, in sequence order, filtered by what each subscriber may see.

Sequences are gap-free per pipeline and committed in order (see
pipelines.next_board_sequence), so a subscriber always knows the next one
it expects: anything newer means something was missed (a slow or lost
publish, a Redis reconnect) and is read back from the log; anything older
is a duplicate and dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from revgraph.models.events import Event
from revgraph.models.pipeline import Deal, Pipeline
from revgraph.resolvers.board_hub import Direct
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import NotFound
from revgraph.resolvers.i18n import _
from revgraph.resolvers.live_streams import event_context, follow, numbered_events, snapshots
from revgraph.resolvers.visibility import Scope, scope_of

BOARD_KINDS = {
    "deal.created": "CREATED",
    "deal.restored": "CREATED",
    "deal.updated": "UPDATED",
    "deal.stage_changed": "MOVED",
    "deal.reordered": "MOVED",
    "deal.deleted": "REMOVED",
}


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
        "pipeline_id": event.pipeline_id,
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
    snapshot = await snapshots.get(
        wire["id"], values["at"], lambda: _deal_after(values["deal_id"], values["kind"] == "REMOVED")
    )
    record = snapshot.records.get(scope)
    if record is None:
        deal = snapshot.rows
        if deal is not None and not scope.sees_owner(deal.owner_id):
            deal = None
        if values["after_deal_id"] is not None and not scope.sees_owner(after_owner):
            values["after_deal_id"] = await _nearest_visible_above(scope, deal)
        event_ctx = event_context(ctx, snapshot, scope=scope)
        record = snapshot.records[scope] = BoardEventRecord(deal=deal, ctx=event_ctx, **values)
    return record


async def _deal_after(deal_id: int, removed: bool) -> Deal | None:
    return None if removed else await Deal.filter(id=deal_id, deleted_at=None).first()


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


def _replay(pipeline_id: int, after: int, until: int | None = None) -> AsyncIterator[Event]:
    return numbered_events("board_sequence", after, until, pipeline_id=pipeline_id)


async def _replay_wire(pipeline_id: int, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
    async for event in _replay(pipeline_id, after, until):
        yield _event_wire(event)


@dataclass(frozen=True)
class BoardStream:
    """A pipeline's board as its hub follows it (resolvers/board_hub.Stream);
    the audience is the subscriber's visibility scope."""

    workspace_id: int
    pipeline_id: int

    @property
    def key(self) -> int:
        return self.pipeline_id

    def sequence_of(self, wire: dict[str, Any]) -> int | None:
        return wire.get("board_sequence") if wire.get("pipeline_id") == self.pipeline_id else None

    async def latest(self) -> int:
        rows = await Pipeline.filter(id=self.pipeline_id).values_list("board_sequence", flat=True)
        return int(rows[0])

    def replay(self, after: int, until: int | None) -> AsyncIterator[dict[str, Any]]:
        return _replay_wire(self.pipeline_id, after, until)

    async def deliverable(
        self, ctx: Context, audience: Scope, wire: dict[str, Any]
    ) -> BoardEventRecord | None:
        return await _deliverable(ctx, audience, wire)


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
        raise NotFound(_("Pipeline"), ["pipelineId"])
    scope = await scope_of(ctx)
    last = pipeline.board_sequence if since is None else max(0, since)
    stream = BoardStream(actor.workspace_id, pipeline.id)
    async for record in follow(ctx, stream, scope, last, direct):
        yield record
