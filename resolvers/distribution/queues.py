"""Queue configuration and reads. Managers run their teams' roletas
("os gestores incluirão nas filas"): a queue may belong to a team, and the
managers of that team (or of a team above it) create, change and archive
it and set its members among the people of their teams; admins run every
queue, including the workspace's own (no team). A manager also tends the
people of their teams in any other queue they are members of (who may do
what: queue_access). Every change is on the queue's timeline and takes
effect for the next lead.

Each workspace also has one MANUAL queue, never listed nor routed through,
that records the assignments people make by hand of leads that never went
through a queue (Assignment.queue is never null)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from revgraph.models.distribution import Assignment, Queue, QueueMember
from revgraph.models.identity import Team, User
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.distribution.queue_access import queue_to_run, queue_to_staff, queues_concerning
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _, ngettext
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.pagination import Page, SortKey
from revgraph.resolvers.timeline import subject_timeline
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import Scope, named_record, scope_of

MODES = ("ONLINE", "OFFLINE")
STRATEGIES = ("ROUND_ROBIN", "WEIGHTED", "LEAST_LOADED")
MAX_WEIGHT = 1000
# A lead waits at most this long for its first contact before it moves on.
MAX_REDISTRIBUTE_MINUTES = 30 * 24 * 60
MANUAL_QUEUE_NAME = "Atribuição manual"
TIMELINE_ORDER = [SortKey("id", descending=True, kind="int")]


async def _member(
    ctx: Context, scope: Scope, spec: dict[str, Any], where: list[str], seen: set[int]
) -> dict[str, Any]:
    """One member's settings (`where`: the path to its input); `seen`
    collects the users already listed, each of whom may be listed once. A
    manager adds only people of their teams."""
    user = await named_record(ctx, User, spec.get("user_id"), [*where, "userId"], active=True)
    if not scope.sees_user(user.id):
        raise DomainError(
            "FORBIDDEN",
            _("{user} is not in your teams: only they can join your queues.", user=user.name),
            [*where, "userId"],
        )
    if user.id in seen:
        raise DomainError("DUPLICATE", _("{user} is listed twice.", user=user.name), [*where, "userId"])
    seen.add(user.id)
    weight = spec.get("weight")
    weight = 1 if weight is None else weight
    if not 1 <= weight <= MAX_WEIGHT:
        raise DomainError(
            "INVALID",
            _("Weight is a whole number from 1 to {MAX_WEIGHT}.", MAX_WEIGHT=MAX_WEIGHT),
            [*where, "weight"],
        )
    capacity = spec.get("capacity")
    if capacity is not None and capacity < 0:
        raise DomainError(
            "INVALID", _("Capacity is the maximum number of open leads (0 or more)."), [*where, "capacity"]
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
        raise DomainError(
            "INVALID",
            _("Unknown {what} {value!r}: use {items}.", what=what, value=value, items=", ".join(allowed)),
            field,
        )
    return value


def _minutes(value: Any, field: list[str]) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not 1 <= value <= MAX_REDISTRIBUTE_MINUTES:
        raise DomainError(
            "INVALID",
            _(
                "Minutes without a first contact before the lead moves on: 1 to {MAX_REDISTRIBUTE_MINUTES}.",
                MAX_REDISTRIBUTE_MINUTES=MAX_REDISTRIBUTE_MINUTES,
            ),
            field,
        )
    return value


async def _team(ctx: Context, scope: Scope, raw_id: Any, field: list[str]) -> int | None:
    """The team a queue belongs to: any (or none) for admins; one of their
    own teams, required, for managers."""
    if raw_id is None:
        if scope.everything:
            return None
        raise DomainError(
            "REQUIRED_FIELD_MISSING", _("Choose which of your teams the queue belongs to."), field
        )
    team = await named_record(ctx, Team, raw_id, field)
    if not scope.sees_team(team.id):
        raise DomainError("FORBIDDEN", _("{team} is not one of your teams.", team=team.name), field)
    return team.id


async def create_queue(ctx: Context, values: dict[str, Any]) -> Queue:
    """A manager (for one of their teams) or an admin creates a roleta;
    members keep the order given (their turn order)."""
    actor = ctx.require_manager()
    scope = await scope_of(ctx)
    name = required_text(values.get("name"), ["input", "name"], what=_("Queue name"))
    mode = _choice(values.get("mode"), MODES, ["input", "mode"], "mode")
    strategy = _choice(values.get("strategy"), STRATEGIES, ["input", "strategy"], "strategy")
    team_id = await _team(ctx, scope, values.get("team_id"), ["input", "teamId"])
    minutes = _minutes(values.get("redistribute_after_minutes"), ["input", "redistributeAfterMinutes"])
    await _name_free(actor.workspace_id, name, None)
    seen: set[int] = set()
    specs = [
        await _member(ctx, scope, spec, ["input", "members", str(index)], seen)
        for index, spec in enumerate(values.get("members") or [])
    ]
    async with unit_of_work():
        queue = await Queue.create(
            workspace_id=actor.workspace_id,
            name=name,
            mode=mode,
            strategy=strategy,
            team_id=team_id,
            redistribute_after_minutes=minutes,
        )
        for position, spec in enumerate(specs):
            await QueueMember.create(workspace_id=actor.workspace_id, queue=queue, position=position, **spec)
        await record_event(
            actor,
            actor.workspace_id,
            "queue.created",
            N_(
                "Queue {name} created ({lower}, {lower2})",
                name=name,
                lower=strategy.lower(),
                lower2=mode.lower(),
            ),
            data={"queueId": queue.id, "members": [s["user_id"] for s in specs], "teamId": team_id},
            queue_id=queue.id,
        )
    return queue


async def _name_free(workspace_id: int, name: str, queue_id: int | None) -> None:
    taken = Queue.filter(workspace_id=workspace_id, name=name, archived_at=None, kind="ROUTING")
    if queue_id is not None:
        taken = taken.exclude(id=queue_id)
    if await taken.exists():
        raise DomainError(
            "DUPLICATE", _("A queue named {name!r} already exists.", name=name), ["input", "name"]
        )


async def update_queue(ctx: Context, queue_id: str, values: dict[str, Any]) -> Queue:
    """Change a queue's name, mode, strategy, team or unattended-lead delay
    (null turns it off); the next lead follows the new settings. Records
    `queue.updated` with each change's from/to; no change, no event."""
    actor = ctx.require_actor()
    queue, scope = await queue_to_run(ctx, queue_id, ["id"])
    changes: dict[str, dict[str, Any]] = {}

    def change(column: str, new: Any) -> None:
        old = getattr(queue, column)
        if old != new:
            changes[column] = {"from": old, "to": new}
            setattr(queue, column, new)

    if values.get("name") is not None:
        name = required_text(values["name"], ["input", "name"], what=_("Queue name"))
        await _name_free(actor.workspace_id, name, queue.id)
        change("name", name)
    if values.get("mode") is not None:
        change("mode", _choice(values["mode"], MODES, ["input", "mode"], "mode"))
    if values.get("strategy") is not None:
        change("strategy", _choice(values["strategy"], STRATEGIES, ["input", "strategy"], "strategy"))
    if "team_id" in values:
        change("team_id", await _team(ctx, scope, values["team_id"], ["input", "teamId"]))
    if "redistribute_after_minutes" in values:
        minutes = _minutes(values["redistribute_after_minutes"], ["input", "redistributeAfterMinutes"])
        change("redistribute_after_minutes", minutes)
    if not changes:
        return queue
    async with unit_of_work():
        await queue.save(update_fields=list(changes))
        await record_event(
            actor,
            actor.workspace_id,
            "queue.updated",
            N_("Queue {queue} changed: {items}", queue=queue.name, items=", ".join(sorted(changes))),
            data={"queueId": queue.id, "changes": changes},
            queue_id=queue.id,
        )
    return queue


async def archive_queue(ctx: Context, queue_id: str) -> Queue:
    """Retire a roleta: it leaves the lists and nothing is routed through it
    again; its history stays. Refused while leads wait in its backlog."""
    actor = ctx.require_actor()
    queue, _scope = await queue_to_run(ctx, queue_id, ["id"])
    async with unit_of_work():
        locked = await Queue.filter(id=queue.id).select_for_update().get()
        waiting = await Assignment.filter(queue_id=queue.id, status="QUEUED").count()
        if waiting:
            raise DomainError(
                "RULE_VIOLATION",
                ngettext(
                    "{count} lead waits in {queue}: add someone who can take it, or distribute it through another queue, before archiving it.",
                    "{count} leads wait in {queue}: add someone who can take them, or distribute them through another queue, before archiving it.",
                    waiting,
                    queue=queue.name,
                ),
                ["id"],
                rule="queue.leads_waiting",
            )
        locked.archived_at = datetime.now(UTC)
        await locked.save(update_fields=["archived_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "queue.archived",
            N_("Queue {queue} archived", queue=queue.name),
            data={"queueId": queue.id},
            queue_id=queue.id,
        )
    return locked


async def set_queue_member(ctx: Context, queue_id: str, spec: dict[str, Any]) -> Queue:
    """Add a member (at the end of the turn order) or change one's weight,
    capacity or active flag (a paused member is skipped from the next lead
    on). Activating or adding someone lets the backlog drain."""
    actor = ctx.require_actor()
    queue, scope, _runs = await queue_to_staff(ctx, queue_id, ["queueId"])
    values = await _member(ctx, scope, spec, ["input"], set())
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
            kind, summary, before = "queue.member_added", N_("Queue {queue}: member joined"), None
        else:
            before = {"weight": member.weight, "capacity": member.capacity, "active": member.active}
            await QueueMember.filter(id=member.id).update(
                **{k: v for k, v in values.items() if k != "user_id"}
            )
            kind, summary = "queue.member_changed", N_("Queue {queue}: member changed")
        await record_event(
            actor,
            actor.workspace_id,
            kind,
            N_(summary.msgid, queue=queue.name),
            data={
                "queueId": queue.id,
                "userId": values["user_id"],
                "active": values["active"],
                "weight": values["weight"],
                "capacity": values["capacity"],
                "before": before,
            },
            queue_id=queue.id,
        )
    return queue


async def remove_queue_member(ctx: Context, queue_id: str, user_id: str) -> Queue:
    """Remove a member; everyone else keeps their turn. A manager who only
    tends the queue removes people of their teams only."""
    actor = ctx.require_actor()
    queue, scope, runs_it = await queue_to_staff(ctx, queue_id, ["queueId"])
    pk = pk_of(user_id, "User")
    if not runs_it and not scope.sees_user(pk):
        raise DomainError(
            "FORBIDDEN",
            _("Only people of your teams can be removed from {queue}.", queue=queue.name),
            ["userId"],
        )
    async with unit_of_work():
        removed = await QueueMember.filter(queue_id=queue.id, user_id=pk or 0, removed_at=None).update(
            removed_at=datetime.now(UTC)
        )
        if not removed:
            raise NotFound(_("Queue member"), ["userId"])
        await record_event(
            actor,
            actor.workspace_id,
            "queue.member_removed",
            N_("Queue {queue}: member removed", queue=queue.name),
            data={"queueId": queue.id, "userId": pk},
            queue_id=queue.id,
        )
    return queue


async def manual_queue(workspace_id: int) -> Queue:
    """The workspace's MANUAL queue (caller's transaction), made on first use."""
    queue = await Queue.filter(workspace_id=workspace_id, kind="MANUAL").first()
    if queue is not None:
        return queue
    try:
        return await create_manual_queue(workspace_id)
    except IntegrityError:  # pragma: no cover - made with the workspace and by migration 0010
        return await Queue.get(workspace_id=workspace_id, kind="MANUAL")


async def create_manual_queue(workspace_id: int) -> Queue:
    """A new workspace's MANUAL queue (caller's transaction)."""
    return await Queue.create(
        workspace_id=workspace_id,
        name=MANUAL_QUEUE_NAME,
        mode="OFFLINE",
        strategy="ROUND_ROBIN",
        kind="MANUAL",
    )


async def list_queues(ctx: Context, *, concerning_me: bool = False) -> list[Queue]:
    """The workspace's routing queues in use; with `concerning_me`, only
    those the caller may change something in (see queue_access)."""
    actor = ctx.require_actor()
    rows = list(
        await Queue.filter(workspace_id=actor.workspace_id, archived_at=None, kind="ROUTING").order_by("id")
    )
    return await queues_concerning(ctx, rows) if concerning_me else rows


async def get_queue(ctx: Context, pk: int) -> Queue | None:
    actor = ctx.require_actor()
    return await Queue.filter(id=pk, workspace_id=actor.workspace_id).first()


async def queue_timeline(
    ctx: Context, queue_id: int, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    """The queue's configuration history (created, changed, members joined,
    paused, re-weighted or removed, archived), newest first."""
    return await subject_timeline(ctx, first=first, after=after, with_total=with_total, queue_id=queue_id)


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
