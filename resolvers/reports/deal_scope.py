"""The deals a report counts: the live (not trashed) deals the caller may
see, by their owner now (ADMIN: the workspace's; MANAGER: those owned in
their team subtree; AGENT: their own), narrowed by `teamId` (owned by a
member of the team or of a team below it) and `ownerId`. A deal's whole
history counts for its current owner, the way every list shows it.

A narrowing id that names nothing the caller sees (malformed, another
workspace's, another type's) is NOT_FOUND on the argument; a team or user
outside the caller's scope narrows to the deals they may see anyway,
which is none."""

from __future__ import annotations

from tortoise.expressions import Q

from revgraph.models.identity import Team, User
from revgraph.resolvers.context import Context
from revgraph.resolvers.visibility import named_record, scope_of, team_subtree_members


async def reported_deals_q(ctx: Context, *, team_id: str | None = None, owner_id: str | None = None) -> Q:
    """The condition on Deal for the deals a report counts (see the module)."""
    q = (await scope_of(ctx)).owner_q() & Q(deleted_at__isnull=True)
    if team_id is not None:
        team = await named_record(ctx, Team, team_id, ["teamId"])
        q &= Q(owner_id__in=await team_subtree_members(team))
    if owner_id is not None:
        user = await named_record(ctx, User, owner_id, ["ownerId"])
        q &= Q(owner_id=user.id)
    return q
