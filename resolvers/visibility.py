"""Tenancy and the sales hierarchy, decided in one place.

ADMIN sees the whole workspace; MANAGER sees records owned by members of
their own team and every team below it, and of any team they manage (and
its subtree); AGENT sees what they own. Every read and write path asks this
module, so a record outside the scope behaves exactly like a missing one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import Q

from revgraph.models.identity import Team, User
from revgraph.resolvers.context import Context


@dataclass(frozen=True)
class Scope:
    workspace_id: int
    # None: every owner in the workspace (ADMIN).
    owner_ids: frozenset[int] | None
    team_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.owner_ids is None

    def owner_q(self, owner_field: str = "owner_id", prefix: str = "") -> Q:
        """Workspace + ownership condition for a queryset."""
        q = Q(**{f"{prefix}workspace_id": self.workspace_id})
        if self.owner_ids is not None:
            q &= Q(**{f"{prefix}{owner_field}__in": list(self.owner_ids)})
        return q

    def sees_owner(self, owner_id: int | None) -> bool:
        if self.owner_ids is None:
            return True
        return owner_id is not None and owner_id in self.owner_ids

    def sees_user(self, user_id: int | None) -> bool:
        return self.sees_owner(user_id)

    def sees_team(self, team_id: int | None) -> bool:
        return self.team_ids is None or (team_id is not None and team_id in self.team_ids)


def subtree(children: dict[int | None, list[int]], roots: set[int]) -> set[int]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        team_id = stack.pop()
        if team_id in seen:
            continue
        seen.add(team_id)
        stack.extend(children.get(team_id, ()))
    return seen


async def compute_scope(workspace_id: int, user_id: int, role: str) -> Scope:
    if role == "ADMIN":
        return Scope(workspace_id, None, None)
    if role == "AGENT":
        return Scope(workspace_id, frozenset({user_id}), frozenset())
    teams = await Team.filter(workspace_id=workspace_id).values("id", "parent_id", "manager_id")
    children: dict[int | None, list[int]] = defaultdict(list)
    roots: set[int] = set()
    for team in teams:
        children[team["parent_id"]].append(team["id"])
        if team["manager_id"] == user_id:
            roots.add(team["id"])
    own_team = await User.filter(id=user_id, workspace_id=workspace_id).values_list("team_id", flat=True)
    if own_team and own_team[0] is not None:
        roots.add(own_team[0])
    team_ids = subtree(children, roots)
    member_ids = (
        set(
            await User.filter(workspace_id=workspace_id, team_id__in=list(team_ids)).values_list(
                "id", flat=True
            )
        )
        if team_ids
        else set()
    )
    member_ids.add(user_id)
    return Scope(workspace_id, frozenset(member_ids), frozenset(team_ids))


async def scope_of(ctx: Context) -> Scope:
    """The caller's scope, computed once per request (or websocket event)."""
    actor = ctx.require_actor()
    scope = ctx.cache.get("scope")
    if scope is None:
        scope = await compute_scope(actor.workspace_id, actor.user_id, actor.role)
        ctx.cache["scope"] = scope
    return scope
