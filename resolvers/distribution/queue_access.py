"""Who may configure a roleta, said once. Admins run every queue. The
managers of a queue's team (or of a team above it) run it: they rename it,
change its mode, strategy and delay, archive it, and set its members among
the people of their teams. A manager also tends every other queue in which
someone of their teams is a member: there they add, change (weight,
capacity, pause) and remove the people of their teams, and nothing else —
no renaming, no archiving, no touching members from outside their teams."""

from __future__ import annotations

from collections.abc import Iterable

from revgraph.models.distribution import Queue, QueueMember
from revgraph.models.identity import User
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.visibility import Scope, named_record, scope_of


def runs(scope: Scope, queue: Queue) -> bool:
    """Whether the scope may configure the queue: admins every queue,
    managers those of the teams they see."""
    return scope.everything or (queue.team_id is not None and scope.sees_team(queue.team_id))


def tends(scope: Scope, member_ids: Iterable[int]) -> bool:
    """Whether a manager (a narrowed scope) tends a queue with these
    members: someone of their teams is among them."""
    return not scope.everything and any(scope.sees_user(pk) for pk in member_ids)


def may_change_member(scope: Scope, queue: Queue, member_ids: Iterable[int], user_id: int) -> bool:
    """Whether the scope may change or remove this member of the queue."""
    return runs(scope, queue) or (scope.sees_user(user_id) and tends(scope, member_ids))


def concerns(scope: Scope, queue: Queue, member_ids: Iterable[int]) -> bool:
    """Whether the queue is one the scope may change something in."""
    return runs(scope, queue) or tends(scope, member_ids)


async def member_ids_of(queue_id: int) -> list[int]:
    return list(
        await QueueMember.filter(queue_id=queue_id, removed_at=None).values_list("user_id", flat=True)
    )


async def queue_to_run(ctx: Context, raw_id: str | None, field: list[str]) -> tuple[Queue, Scope]:
    """A routing queue the caller may configure (FORBIDDEN for another
    team's queue, which the caller can see in the queues list)."""
    ctx.require_manager()
    scope = await scope_of(ctx)
    queue = await named_record(ctx, Queue, raw_id, field)
    if not runs(scope, queue):
        raise DomainError("FORBIDDEN", _("{queue} belongs to a team outside yours.", queue=queue.name), field)
    return queue, scope


async def queue_to_staff(ctx: Context, raw_id: str | None, field: list[str]) -> tuple[Queue, Scope, bool]:
    """A queue whose members the caller may set: one they run, or (a
    manager) one they tend. The flag says whether they run it; when they
    only tend it, each member they touch must be of their teams."""
    ctx.require_manager()
    scope = await scope_of(ctx)
    queue = await named_record(ctx, Queue, raw_id, field)
    if runs(scope, queue):
        return queue, scope, True
    if not tends(scope, await member_ids_of(queue.id)):
        raise DomainError(
            "FORBIDDEN",
            _("{queue} belongs to a team outside yours and has nobody of your teams.", queue=queue.name),
            field,
        )
    return queue, scope, False


async def queues_concerning(ctx: Context, queues: list[Queue]) -> list[Queue]:
    """The queues among `queues` the caller may change something in: every
    one for admins; for managers those they run or tend; none for agents."""
    actor = ctx.require_actor()
    if actor.role not in ("ADMIN", "MANAGER"):
        return []
    scope = await scope_of(ctx)
    if scope.everything:
        return queues
    rows = await QueueMember.filter(
        workspace_id=actor.workspace_id, queue_id__in=[q.id for q in queues], removed_at=None
    ).values_list("queue_id", "user_id")
    members: dict[int, list[int]] = {}
    for queue_id, user_id in rows:
        members.setdefault(queue_id, []).append(user_id)
    return [q for q in queues if concerns(scope, q, members.get(q.id, ()))]


def _configures(ctx: Context) -> bool:
    return ctx.require_actor().role in ("ADMIN", "MANAGER")


async def viewer_runs(ctx: Context, queue: Queue) -> bool:
    """Whether the caller may rename, change or archive the queue."""
    return _configures(ctx) and runs(await scope_of(ctx), queue)


async def viewer_may_change_member(ctx: Context, queue: Queue, member_ids: list[int], user_id: int) -> bool:
    """Whether the caller may change or remove this member of the queue."""
    return _configures(ctx) and may_change_member(await scope_of(ctx), queue, member_ids, user_id)


async def queue_candidates(ctx: Context) -> list[User]:
    """The active people the caller may put in queues, by name: everyone
    for admins, the people of their teams for managers, nobody for agents."""
    actor = ctx.require_actor()
    if not _configures(ctx):
        return []
    scope = await scope_of(ctx)
    people = User.filter(workspace_id=actor.workspace_id, active=True)
    if not scope.everything:
        people = people.filter(id__in=list(scope.owner_ids or ()))
    return list(await people.order_by("name", "id"))
