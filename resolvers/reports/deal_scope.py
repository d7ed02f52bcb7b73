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

from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Q

from revgraph.models.identity import Team, User
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Context
from revgraph.resolvers.visibility import named_record, scope_of, team_subtree_members

ID_CHUNK = 900  # SQLite's limit of bound variables, with room to spare


async def narrowed_q(
    ctx: Context, *, team_id: str | None = None, owner_id: str | None = None, field: str = "owner_id"
) -> Q:
    """What a report's `teamId` and `ownerId` arguments narrow to, on the
    user column `field` (a deal's owner, a task's assignee...): a member of
    the team or of a team below it; that user. Ids through named_record
    (NOT_FOUND on `teamId` / `ownerId`)."""
    q = Q()
    if team_id is not None:
        team = await named_record(ctx, Team, team_id, ["teamId"])
        q &= Q(**{f"{field}__in": await team_subtree_members(team)})
    if owner_id is not None:
        user = await named_record(ctx, User, owner_id, ["ownerId"])
        q &= Q(**{field: user.id})
    return q


async def reported_owners_q(ctx: Context, *, team_id: str | None = None, owner_id: str | None = None) -> Q:
    """The workspace and owner part of reported_deals_q: on any record with
    workspace_id and owner_id (the funnel's rollups, summed per owner)."""
    return (await scope_of(ctx)).owner_q() & await narrowed_q(ctx, team_id=team_id, owner_id=owner_id)


async def reported_deals_q(ctx: Context, *, team_id: str | None = None, owner_id: str | None = None) -> Q:
    """The condition on Deal for the deals a report counts (see the module)."""
    return await reported_owners_q(ctx, team_id=team_id, owner_id=owner_id) & Q(deleted_at__isnull=True)


async def deal_rows(ids: Iterable[int], *columns: str) -> dict[int, dict[str, Any]]:
    """`columns` of the deals `ids` (already known to be counted), by id,
    read in chunks of ids."""
    found: dict[int, dict[str, Any]] = {}
    ordered = sorted(set(ids))
    for at in range(0, len(ordered), ID_CHUNK):
        for row in await Deal.filter(id__in=ordered[at : at + ID_CHUNK]).values("id", *columns):
            found[row["id"]] = row
    return found
