"""A user's life in the workspace after createUser: changes to their name,
role and team, deactivation (credentials withdrawn, queues left, leads
given back) and reactivation. Passwords: passwords.py.

A role or team change narrows or widens what the user sees (a team change,
what the managers above the team see too), so it closes their open
websockets on every process (they reconnect with the new scope);
HTTP requests already authenticate with the current role. The workspace
always keeps an active ADMIN: role changes and deactivations take the
workspace's row lock before counting them, so two admins demoting each
other at once cannot both succeed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from revgraph.models.identity import ApiKey, Session, Team, User, Workspace
from revgraph.resolvers.context import ROLE_RANK, ROLES, Context
from revgraph.resolvers.distribution.departure import DESTINATIONS, ReturnedLeads, leave_queues, return_leads
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Listing, Message, _
from revgraph.resolvers.identity import check_role
from revgraph.resolvers.revocations import Revocation, record_revocation
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record, tree_scoped_users

# What updateUser changes, as its input and the event name it -> the column.
_COLUMNS = {"name": "name", "role": "role", "teamId": "team_id"}


async def update_user(ctx: Context, user_id: str, data: Mapping[str, Any]) -> User:
    """ADMIN changes anyone's name, role or team; anyone else may change
    only their own name (FORBIDDEN otherwise). The last active ADMIN cannot
    be demoted. API keys of a demoted user are lowered to the new role."""
    actor = ctx.require_actor()
    user = await named_record(ctx, User, user_id, ["id"])
    if not actor.is_admin and user.id != actor.user_id:
        raise DomainError("FORBIDDEN", _("Only workspace administrators may change other users."), ["id"])
    changes: dict[str, dict[str, Any]] = {}
    if "name" in data:
        name = required_text(data["name"], ["input", "name"])
        if name != user.name:
            changes["name"] = {"from": user.name, "to": name}
    if "role" in data:
        role = check_role(data["role"])
        if role != user.role:
            changes["role"] = {"from": user.role, "to": role}
    team: Team | None = None
    if "team_id" in data:
        if data["team_id"] is not None:
            team = await named_record(ctx, Team, data["team_id"], ["input", "teamId"])
        if (team.id if team else None) != user.team_id:
            changes["teamId"] = {"from": user.team_id, "to": team.id if team else None}
    if not actor.is_admin:
        for key, what in (("role", N_("role")), ("teamId", N_("team"))):
            if key in changes:
                raise DomainError(
                    "FORBIDDEN",
                    _("Only workspace administrators may change a user's {what}.", what=what),
                    ["input", key],
                )
    if not changes:
        return user
    async with unit_of_work():
        user = await _locked(user)
        if "role" in changes and user.role == "ADMIN":
            await _keep_an_admin(user, N_("demote"), ["input", "role"])
        old_team = await _team_name(user.team_id)
        for key, column in _COLUMNS.items():
            if key in changes:
                setattr(user, column, changes[key]["to"])
        await user.save(update_fields=[c for k, c in _COLUMNS.items() if k in changes])
        lowered = await _lower_api_keys(user) if "role" in changes else []
        summary = N_(
            "{user} changed: {changes}",
            user=changes.get("name", {}).get("from", user.name),
            changes=Listing(_describe(key, change, old_team, team) for key, change in changes.items()),
        )
        event_data = {"userId": user.id, "changes": changes, "apiKeysLowered": lowered}
        if "role" in changes or "teamId" in changes:
            await record_revocation(
                actor,
                actor.workspace_id,
                "user.updated",
                summary,
                # A team move also changes what the managers above it see.
                Revocation(
                    user_ids=frozenset({user.id})
                    | (await tree_scoped_users(actor.workspace_id) if "teamId" in changes else frozenset())
                ),
                data=event_data,
            )
        else:
            await record_event(actor, actor.workspace_id, "user.updated", summary, data=event_data)
    return user


ROLE_NAMES = {"ADMIN": N_("administrator"), "MANAGER": N_("manager"), "AGENT": N_("agent")}


def _describe(key: str, change: dict[str, Any], old_team: str | None, team: Team | None) -> Message:
    if key == "name":
        return N_("renamed to {name}", name=change["to"])
    if key == "role":
        return N_("role {old} to {new}", old=ROLE_NAMES[change["from"]], new=ROLE_NAMES[change["to"]])
    none = N_("none")
    return N_("team {old} to {new}", old=old_team or none, new=team.name if team else none)


async def _team_name(team_id: int | None) -> str | None:
    if team_id is None:
        return None
    names = await Team.filter(id=team_id).values_list("name", flat=True)
    return names[0] if names else None


async def _locked(user: User) -> User:
    """The user re-read under the workspace's row lock (see the module's docstring)."""
    await Workspace.filter(id=user.workspace_id).select_for_update().first()
    return await User.filter(id=user.id).select_for_update().get()


async def _keep_an_admin(user: User, what: Message, field: list[str]) -> None:
    if not user.active:
        return
    others = (
        await User.filter(workspace_id=user.workspace_id, role="ADMIN", active=True)
        .exclude(id=user.id)
        .exists()
    )
    if not others:
        raise DomainError(
            "RULE_VIOLATION",
            _(
                "{user} is the last active administrator: make someone else ADMIN before you {what} them.",
                user=user.name,
                what=what,
            ),
            field,
            rule="user.last_admin",
        )


async def _lower_api_keys(user: User) -> list[int]:
    """A key never lists a role above its user's (createApiKey refuses it):
    keys above the new role are lowered to it rather than revoked, so an
    integration keeps doing what the user may still do, and promoting the
    user again does not silently widen old keys."""
    above = [role for role in ROLES if ROLE_RANK[role] > ROLE_RANK[user.role]]
    ids = list(
        await ApiKey.filter(user_id=user.id, role__in=above, revoked_at=None).values_list("id", flat=True)
    )
    if ids:
        await ApiKey.filter(id__in=ids).update(role=user.role)
    return ids


@dataclass
class Deactivated:
    user: User
    leads: ReturnedLeads | None


async def deactivate_user(ctx: Context, user_id: str, *, leads_go_to: str) -> Deactivated:
    """ADMIN deactivates a colleague (never themselves, never the last active
    ADMIN), in one transaction: they can no longer log in, every session and
    API key of theirs is revoked and their sockets close, they leave every
    queue, and their open leads go back to their queues or to their manager
    (distribution/departure.py). Deactivating a deactivated user changes nothing."""
    actor = ctx.require_admin()
    user = await named_record(ctx, User, user_id, ["id"])
    if leads_go_to not in DESTINATIONS:
        raise DomainError(
            "INVALID", _("leadsGoTo is one of {items}.", items=", ".join(DESTINATIONS)), ["leadsGoTo"]
        )
    if user.id == actor.user_id:
        raise DomainError(
            "RULE_VIOLATION",
            _("You cannot deactivate yourself: ask another administrator."),
            ["id"],
            rule="user.not_yourself",
        )
    fallback = await User.get(id=actor.user_id)
    async with unit_of_work():
        user = await _locked(user)
        if not user.active:
            return Deactivated(user, None)
        if user.role == "ADMIN":
            await _keep_an_admin(user, N_("deactivate"), ["id"])
        now = datetime.now(UTC)
        user.active = False
        user.online = False
        await user.save(update_fields=["active", "online"])
        sessions = await Session.filter(user_id=user.id, revoked_at=None).update(revoked_at=now)
        keys = list(await ApiKey.filter(user_id=user.id, revoked_at=None).values_list("id", flat=True))
        if keys:
            await ApiKey.filter(id__in=keys).update(revoked_at=now)
        # First in the log, so the sockets close before the lead moves are published.
        await record_revocation(
            actor,
            actor.workspace_id,
            "user.deactivated",
            N_(
                "{user} deactivated; open leads go to {DESTINATION_WORDS}",
                user=user.name,
                DESTINATION_WORDS=_DESTINATION_WORDS[leads_go_to],
            ),
            Revocation(user_ids=frozenset({user.id})),
            data={
                "userId": user.id,
                "leadsGoTo": leads_go_to,
                "sessionsRevoked": sessions,
                "apiKeysRevoked": keys,
            },
        )
        await leave_queues(actor, user, why="deactivated")
        leads = await return_leads(ctx.settings, actor, user, destination=leads_go_to, fallback=fallback)
    return Deactivated(user, leads)


_DESTINATION_WORDS = {"QUEUES": N_("their queues"), "MANAGER": N_("their manager")}


async def reactivate_user(ctx: Context, user_id: str) -> User:
    """ADMIN lets a deactivated user log in again. They rejoin no queue and
    get no lead back, and their old sessions and API keys stay revoked."""
    actor = ctx.require_admin()
    user = await named_record(ctx, User, user_id, ["id"])
    async with unit_of_work():
        user = await _locked(user)
        if user.active:
            return user
        user.active = True
        await user.save(update_fields=["active"])
        await record_event(
            actor,
            actor.workspace_id,
            "user.reactivated",
            N_("{user} reactivated", user=user.name),
            data={"userId": user.id},
        )
    return user
