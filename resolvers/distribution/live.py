"""Reading assignments: the list and the live `assignments` stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tortoise.expressions import Q

from revgraph.models.crm import Contact
from revgraph.models.distribution import Assignment
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Context
from revgraph.resolvers.events.bus import current_bus
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.visibility import Scope, scope_of, visible_q

STREAM_KINDS = ("assignment.made", "assignment.queued")


def _assignment_q(scope: Scope) -> Q:
    """Yours (agents), your teams' (managers), all (admins). QUEUED leads have
    no user yet: managers and admins see them, agents do not."""
    q = Q(workspace_id=scope.workspace_id)
    if scope.owner_ids is not None:
        q &= Q(user_id__in=list(scope.owner_ids))
    return q


async def visible_contact(ctx: Context, contact_id: int) -> Contact | None:
    return await Contact.filter(visible_q(await scope_of(ctx), Contact), id=contact_id).first()


async def visible_deal(ctx: Context, deal_id: int) -> Deal | None:
    scope = await scope_of(ctx)
    return await Deal.filter(scope.owner_q(), id=deal_id).first()


async def list_assignments(
    ctx: Context,
    *,
    queue_id: str | None,
    first: int | None,
    after: str | None,
    with_total: bool = False,
) -> Page:
    """Assignments the caller may see, newest first (optionally of one queue)."""
    scope = await scope_of(ctx)
    query = Assignment.filter(_assignment_q(scope))
    if queue_id is not None:
        query = query.filter(queue_id=pk_of(queue_id, "Queue") or 0)
    return await paginate_for(
        ctx,
        query,
        [SortKey("id", True, "int")],
        first=first,
        after=after,
        with_total=with_total,
    )


async def assignment_stream(ctx: Context) -> AsyncIterator[Assignment]:
    """Assignments made to the caller (or, for managers/admins, to their
    teams) as they happen, checked against the caller's scope at delivery."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    bus = current_bus()
    if bus is None:
        raise RuntimeError("the event bus is not running")
    seen: set[int] = set()
    async with bus.listen(actor.workspace_id) as live:
        async for wire in live:
            if wire is None or wire.get("kind") not in STREAM_KINDS:
                continue
            data = wire.get("data") or {}
            user_id = data.get("userId")
            if wire["kind"] == "assignment.queued" and scope.owner_ids is not None and actor.role == "AGENT":
                continue
            if user_id is not None and not scope.sees_owner(user_id):
                continue
            assignment_id = data.get("assignmentId")
            if assignment_id in seen:
                continue  # a duplicate publish
            seen.add(assignment_id)
            row = await Assignment.filter(id=assignment_id).first()
            if row is not None:
                yield row


async def get_assignment(ctx: Context, pk: int) -> Assignment | None:
    scope = await scope_of(ctx)
    return await Assignment.filter(_assignment_q(scope), id=pk).first()
