"""Changing a team of the hierarchy after createTeam: its name, its manager
and its place in the tree (ADMIN only; moving users between teams is
updateUser's teamId).

A manager or parent change changes what MANAGERs see. Reads compute the
scope per request, and the poll cache's answers are keyed by the log's
position, which the change's event moves (topic `people`, which every
report that declares its topics reads), so both see it at once. A live
subscription keeps the scope it started with, so the change closes every
MANAGER's open websockets (a revocation event, as updateUser does for a
role change) and they reconnect with the new scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.identity import Team, User, Workspace
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Listing, Message, _
from revgraph.resolvers.revocations import Revocation, record_revocation
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record, team_subtree, tree_scoped_users

# A column -> its name in the API (team.updated's changes hold plain ids,
# like team.created's and user.updated's).
API_NAMES = {"name": "name", "manager_id": "managerId", "parent_id": "parentId"}


async def update_team(ctx: Context, team_id: str, data: Mapping[str, Any]) -> Team:
    """ADMIN renames a team, gives it another manager (or none) or moves it
    under another team (or to the root). A parent inside the team's own
    subtree would make a cycle: RULE_VIOLATION on input.parentId."""
    actor = ctx.require_admin()
    team = await named_record(ctx, Team, team_id, ["id"])
    wanted: dict[str, Any] = {}
    names: dict[str, str | None] = {}
    if "name" in data:
        wanted["name"] = required_text(data["name"], ["input", "name"], max_length=200)
    if "manager_id" in data:
        manager = (
            await named_record(ctx, User, data["manager_id"], ["input", "managerId"])
            if data["manager_id"] is not None
            else None
        )
        wanted["manager_id"] = manager.id if manager else None
        names["manager_id"] = manager.name if manager else None
    if "parent_id" in data:
        parent = (
            await named_record(ctx, Team, data["parent_id"], ["input", "parentId"])
            if data["parent_id"] is not None
            else None
        )
        wanted["parent_id"] = parent.id if parent else None
        names["parent_id"] = parent.name if parent else None
    try:
        async with unit_of_work():
            # The workspace's row lock: two moves at once cannot each pass
            # the cycle check against the tree before the other's move.
            await Workspace.filter(id=actor.workspace_id).select_for_update().first()
            team = await Team.filter(id=team.id).select_for_update().get()
            changes = {c: (getattr(team, c), v) for c, v in wanted.items() if getattr(team, c) != v}
            if not changes:
                return team
            if "parent_id" in changes:
                await _check_no_cycle(team, changes["parent_id"][1])
            if "name" in changes and await _name_taken(team, changes["name"][1]):
                raise _duplicate(changes["name"][1])
            for column, (_old, value) in changes.items():
                setattr(team, column, value)
            await team.save(update_fields=list(changes))
            summary = N_(
                "Team {team} changed: {changes}",
                team=changes["name"][0] if "name" in changes else team.name,
                changes=Listing(_described(c, new, names.get(c)) for c, (_old, new) in changes.items()),
            )
            event_data = {
                "teamId": team.id,
                "changes": {API_NAMES[c]: {"from": old, "to": new} for c, (old, new) in changes.items()},
            }
            if "manager_id" in changes or "parent_id" in changes:
                affected = await tree_scoped_users(actor.workspace_id)
                await record_revocation(
                    actor,
                    actor.workspace_id,
                    "team.updated",
                    summary,
                    Revocation(user_ids=affected),
                    data=event_data,
                )
            else:
                await record_event(actor, actor.workspace_id, "team.updated", summary, data=event_data)
    except IntegrityError as exc:  # a concurrent rename took the name
        raise _duplicate(wanted.get("name", team.name)) from exc
    return team


async def _check_no_cycle(team: Team, parent_id: int | None) -> None:
    if parent_id is None:
        return
    if parent_id in await team_subtree(team.workspace_id, team.id):
        raise DomainError(
            "RULE_VIOLATION",
            _("A team cannot be placed under itself or under a team below it."),
            ["input", "parentId"],
        )


async def _name_taken(team: Team, name: str) -> bool:
    return await Team.filter(workspace_id=team.workspace_id, name=name).exclude(id=team.id).exists()


def _duplicate(name: str) -> DomainError:
    return DomainError("DUPLICATE", _("A team named {name!r} already exists.", name=name), ["input", "name"])


def _described(column: str, new: Any, name: str | None) -> Message:
    if column == "name":
        return N_("name {name}", name=new)
    if column == "manager_id":
        return N_("manager {name}", name=name) if name else N_("no manager")
    return N_("team above {name}", name=name) if name else N_("no team above")
