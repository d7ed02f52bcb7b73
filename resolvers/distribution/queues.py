"""Queue configuration (ADMIN) and reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.functions import Count

from revgraph.models.distribution import Assignment, Queue, QueueMember
from revgraph.models.identity import User
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record

MODES = ("ONLINE", "OFFLINE")
STRATEGIES = ("ROUND_ROBIN", "WEIGHTED", "LEAST_LOADED")
MAX_WEIGHT = 1000


async def _member(ctx: Context, spec: dict[str, Any], where: list[str], seen: set[int]) -> dict[str, Any]:
    """One member's settings (`where`: the path to its input); `seen`
    collects the users already listed, each of whom may be listed once."""
    user = await named_record(ctx, User, spec.get("user_id"), [*where, "userId"], active=True)
    if user.id in seen:
        raise DomainError("DUPLICATE", f"{user.name} is listed twice.", [*where, "userId"])
    seen.add(user.id)
    weight = spec.get("weight")
    weight = 1 if weight is None else weight
    if not 1 <= weight <= MAX_WEIGHT:
        raise DomainError("INVALID", f"Weight is a whole number from 1 to {MAX_WEIGHT}.", [*where, "weight"])
    capacity = spec.get("capacity")
    if capacity is not None and capacity < 0:
        raise DomainError(
            "INVALID", "Capacity is the maximum number of open leads (0 or more).", [*where, "capacity"]
        )
    active = spec.get("active")
    return {
        "user_id": user.id,
        "weight": weight,
        "capacity": capacity,
        "active": True if active is None else active,
    }


def _choice(value: str, allowed: tuple[str, ...], field: list[str], what: str) -> str:
    if value not in allowed:
        raise DomainError("INVALID", f"Unknown {what} {value!r}: use {', '.join(allowed)}.", field)
    return value


async def create_queue(
    ctx: Context, *, name: str, mode: str, strategy: str, members: list[dict[str, Any]]
) -> Queue:
    """ADMIN creates a roleta; members keep the order given (their turn order)."""
    actor = ctx.require_admin()
    name = required_text(name, ["input", "name"], what="Queue name")
    _choice(mode, MODES, ["input", "mode"], "mode")
    _choice(strategy, STRATEGIES, ["input", "strategy"], "strategy")
    if await Queue.filter(workspace_id=actor.workspace_id, name=name, archived_at=None).exists():
        raise DomainError("DUPLICATE", f"A queue named {name!r} already exists.", ["input", "name"])
    seen: set[int] = set()
    specs = [
        await _member(ctx, spec, ["input", "members", str(index)], seen) for index, spec in enumerate(members)
    ]
    async with unit_of_work():
        queue = await Queue.create(workspace_id=actor.workspace_id, name=name, mode=mode, strategy=strategy)
        for position, spec in enumerate(specs):
            await QueueMember.create(workspace_id=actor.workspace_id, queue=queue, position=position, **spec)
        await record_event(
            actor,
            actor.workspace_id,
            "queue.created",
            f"Queue {name} created ({strategy.lower()}, {mode.lower()})",
            data={"queueId": queue.id, "members": [s["user_id"] for s in specs]},
        )
    return queue


async def set_queue_member(ctx: Context, queue_id: str, spec: dict[str, Any]) -> Queue:
    """ADMIN adds a member (at the end of the turn order) or changes one's
    weight, capacity or active flag. Activating or adding someone lets the
    backlog drain."""
    actor = ctx.require_admin()
    queue = await _queue(ctx, queue_id, ["queueId"])
    values = await _member(ctx, spec, ["input"], set())
    async with unit_of_work():
        member = await QueueMember.filter(
            queue_id=queue.id, user_id=values["user_id"], removed_at=None
        ).first()
        if member is None:
            last = await QueueMember.filter(queue_id=queue.id).order_by("-position").first()
            member = await QueueMember.create(
                workspace_id=actor.workspace_id,
                queue=queue,
                position=(last.position + 1) if last else 0,
                **values,
            )
            kind, summary = "queue.member_added", "joined"
        else:
            await QueueMember.filter(id=member.id).update(
                **{k: v for k, v in values.items() if k != "user_id"}
            )
            kind, summary = "queue.member_changed", "changed"
        await record_event(
            actor,
            actor.workspace_id,
            kind,
            f"Queue {queue.name}: member {summary}",
            data={"queueId": queue.id, "userId": values["user_id"], "active": values["active"]},
        )
    return queue


async def remove_queue_member(ctx: Context, queue_id: str, user_id: str) -> Queue:
    """ADMIN removes a member; everyone else keeps their turn."""
    actor = ctx.require_admin()
    queue = await _queue(ctx, queue_id, ["queueId"])
    pk = pk_of(user_id, "User")
    async with unit_of_work():
        removed = await QueueMember.filter(queue_id=queue.id, user_id=pk or 0, removed_at=None).update(
            removed_at=datetime.now(UTC)
        )
        if not removed:
            raise NotFound("Queue member", ["userId"])
        await record_event(
            actor,
            actor.workspace_id,
            "queue.member_removed",
            f"Queue {queue.name}: member removed",
            data={"queueId": queue.id, "userId": pk},
        )
    return queue


async def _queue(ctx: Context, raw_id: str | None, field: list[str]) -> Queue:
    return await named_record(ctx, Queue, raw_id, field)


async def list_queues(ctx: Context) -> list[Queue]:
    actor = ctx.require_actor()
    return list(await Queue.filter(workspace_id=actor.workspace_id, archived_at=None).order_by("id"))


async def get_queue(ctx: Context, pk: int) -> Queue | None:
    actor = ctx.require_actor()
    return await Queue.filter(id=pk, workspace_id=actor.workspace_id).first()


def members_of(ctx: Context) -> loaders.BatchLoader:
    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(queue_ids: list[int]) -> list[list[QueueMember]]:
            rows = await QueueMember.filter(
                workspace_id=workspace_id, queue_id__in=queue_ids, removed_at=None
            ).order_by("position")
            grouped: dict[int, list[QueueMember]] = {}
            for row in rows:
                grouped.setdefault(row.queue_id, []).append(row)
            return [grouped.get(q, []) for q in queue_ids]

        return batch

    return loaders.loader(ctx, "queue_members", factory)


def backlog_of(ctx: Context) -> loaders.BatchLoader:
    """Leads waiting (QUEUED) per queue, one grouped query per request."""

    def factory(workspace_id: int) -> loaders.BatchFn:
        async def batch(queue_ids: list[int]) -> list[int]:
            rows = (
                await Assignment.filter(workspace_id=workspace_id, queue_id__in=queue_ids, status="QUEUED")
                .group_by("queue_id")
                .annotate(n=Count("id"))
                .values("queue_id", "n")
            )
            found = {r["queue_id"]: r["n"] for r in rows}
            return [found.get(q, 0) for q in queue_ids]

        return batch

    return loaders.loader(ctx, "queue_backlog", factory)
