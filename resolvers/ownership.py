"""Who may be named owner (or assignee) of a record, and who acted."""

from __future__ import annotations

from revgraph.models.identity import User
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.i18n import _
from revgraph.resolvers.visibility import Scope, named_record

_UNSET = object()


async def assignable_user(ctx: Context, scope: Scope, user_id: str | None, field: list[str]) -> int | None:
    """The user a record may be given to: someone the caller can see. An
    agent may only name themselves (FORBIDDEN for a colleague, since they
    can see who their colleagues are); a user outside the caller's scope or
    workspace is NOT_FOUND. None unassigns, which only ADMIN and MANAGER may do."""
    actor = ctx.require_actor()
    if user_id is None:
        if actor.role == "AGENT":
            raise DomainError("FORBIDDEN", _("Agents cannot leave their own records unassigned."), field)
        return None
    pk = (await named_record(ctx, User, user_id, field)).id
    if actor.role == "AGENT" and pk != actor.user_id:
        raise DomainError("FORBIDDEN", _("Agents may only assign records to themselves."), field)
    if not scope.sees_user(pk):
        raise NotFound(_("User"), field)
    return pk


def default_owner(ctx: Context) -> int | None:
    """Contract: an AGENT's new record is theirs; others start unowned."""
    actor = ctx.require_actor()
    return actor.user_id if actor.role == "AGENT" else None


async def actor_name(ctx: Context) -> str:
    """The acting user's display name for event summaries (once per
    request); a system actor (an automation) is named by its label."""
    name = ctx.cache.get("actor_name", _UNSET)
    if name is _UNSET:
        actor = ctx.require_actor()
        if actor.user_id is None:
            name = ctx.cache["actor_name"] = actor.label or "System"
            return str(name)
        names = await User.filter(id=actor.user_id).values_list("name", flat=True)
        name = ctx.cache["actor_name"] = names[0] if names else "Someone"
    return str(name)
