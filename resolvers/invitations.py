"""Invitations: an ADMIN invites a colleague by e-mail with a role and a
team and gets a one-time link to pass on (no e-mail server needed); the
invitee opens it, chooses a name and a password, and is logged in.

The link (`/#/convite/<token>`) works once, for 7 days, until an admin
revokes it; only the token's keyed hash is stored (one_time_links.py, as
for password resets). The invitation decides a role and a team: an ADMIN
invites anyone into any team; a MANAGER grows their own teams, inviting
AGENTs into a team of their scope only (another role or team is
FORBIDDEN), and lists and revokes the invitations they issued or that
name a team of their scope. Inviting an e-mail that already has an
account is DUPLICATE; an open invitation to the same e-mail in the
workspace is revoked by the newer one (a manager may not supersede one
they could not revoke: DUPLICATE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from revgraph.models.identity import Invitation, Team, User, Workspace
from revgraph.resolvers import attempt_limits
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import AuthError, DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.identity import (
    Authenticated,
    _new_session,
    _team_in_workspace,
    check_password,
    check_role,
    hash_password,
)
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.one_time_links import claim, new_token, token_digest
from revgraph.resolvers.user_lifecycle import ROLE_NAMES
from revgraph.resolvers.validation import normalize_email, optional_text, required_text
from revgraph.resolvers.visibility import scope_of

INVITATION_PREFIX = "rgi_"
INVITATION_TTL = timedelta(days=7)
# The web app's page for it; the token travels in the fragment, never sent to a server.
INVITATION_PAGE = "/#/convite/"
TOKEN_FIELD = ["input", "token"]
# Why a link opens nothing, by its status: the messages the invitee reads.
REFUSALS = {
    "UNKNOWN": N_("This invitation link is invalid; ask an administrator for a new one."),
    "ACCEPTED": N_("This invitation was already used; log in with its e-mail and password."),
    "REVOKED": N_("This invitation was revoked; ask an administrator for a new one."),
    "EXPIRED": N_("This invitation expired; ask an administrator for a new one."),
}


def status_of(invitation: Invitation, now: datetime | None = None) -> str:
    """PENDING, ACCEPTED, REVOKED or EXPIRED."""
    now = now or datetime.now(UTC)
    if invitation.used_at is not None:
        return "ACCEPTED"
    if invitation.revoked_at is not None:
        return "REVOKED"
    if invitation.expires_at <= now:
        return "EXPIRED"
    return "PENDING"


@dataclass
class IssuedInvitation:
    invitation: Invitation
    token: str
    path: str


def _inviter(ctx: Context) -> Actor:
    """An ADMIN or a MANAGER (an AGENT invites no one: FORBIDDEN)."""
    actor = ctx.require_actor()
    if actor.role not in ("ADMIN", "MANAGER"):
        raise AuthError("FORBIDDEN", _("Only managers and administrators may do this."))
    return actor


async def _visible_invitations(ctx: Context) -> QuerySet:
    """The invitations the caller may list and revoke: all of the workspace
    for an ADMIN; for a MANAGER those they issued and those naming a team
    of their scope."""
    actor = _inviter(ctx)
    query = Invitation.filter(workspace_id=actor.workspace_id)
    if actor.is_admin:
        return query
    scope = await scope_of(ctx)
    return query.filter(Q(invited_by_id=actor.user_id) | Q(team_id__in=sorted(scope.team_ids or ())))


async def _check_manager_may_invite(ctx: Context, role: str, team: Team | None) -> None:
    """A MANAGER invites AGENTs into a team of their scope, nothing else."""
    if role != "AGENT":
        raise DomainError("FORBIDDEN", _("Managers may only invite agents."), ["input", "role"])
    if team is None:
        raise DomainError("FORBIDDEN", _("Choose one of your teams."), ["input", "teamId"])
    if not (await scope_of(ctx)).sees_team(team.id):
        raise DomainError(
            "FORBIDDEN", _("{team} is not one of your teams.", team=team.name), ["input", "teamId"]
        )


async def create_invitation(
    ctx: Context, *, email: str, name: str | None, role: str, team_id: str | None
) -> IssuedInvitation:
    """ADMIN or MANAGER (see the module) issues a one-time link for `email`."""
    actor = _inviter(ctx)
    email = normalize_email(email, ["input", "email"])
    name = optional_text(name, ["input", "name"])
    check_role(role)
    team = await _team_in_workspace(actor.workspace_id, team_id, ["input", "teamId"])
    if not actor.is_admin:
        await _check_manager_may_invite(ctx, role, team)
    if await User.filter(email=email).exists():
        raise DomainError("DUPLICATE", _("A user with this e-mail already exists."), ["input", "email"])
    token, token_hash = new_token(ctx.settings, INVITATION_PREFIX)
    now = datetime.now(UTC)
    async with unit_of_work():
        if not actor.is_admin:
            open_to_email = Invitation.filter(
                workspace_id=actor.workspace_id,
                email=email,
                used_at=None,
                revoked_at=None,
                expires_at__gt=now,
            )
            reachable = (await _visible_invitations(ctx)).filter(id__in=Subquery(open_to_email.values("id")))
            if await open_to_email.count() > await reachable.count():
                raise DomainError(
                    "DUPLICATE",
                    _(
                        "An administrator already invited this e-mail; ask them to revoke that invitation first."
                    ),
                    ["input", "email"],
                )
        superseded = await Invitation.filter(
            workspace_id=actor.workspace_id, email=email, used_at=None, revoked_at=None, expires_at__gt=now
        ).update(revoked_at=now)
        invitation = await Invitation.create(
            workspace_id=actor.workspace_id,
            email=email,
            name=name,
            role=role,
            team=team,
            invited_by_id=actor.user_id,
            token_hash=token_hash,
            expires_at=now + INVITATION_TTL,
        )
        await record_event(
            actor,
            actor.workspace_id,
            "user.invited",
            N_("{email} invited as {role}", email=email, role=ROLE_NAMES[role]),
            data={
                "invitationId": invitation.id,
                "email": email,
                "role": role,
                "teamId": team.id if team else None,
                "expiresAt": invitation.expires_at.isoformat(),
                "supersededInvitations": superseded,
            },
        )
    return IssuedInvitation(invitation, token, INVITATION_PAGE + token)


async def list_invitations(ctx: Context) -> list[Invitation]:
    """The invitations the caller may see (ADMIN: all; MANAGER: theirs and
    their teams'), newest first."""
    return list(await (await _visible_invitations(ctx)).order_by("-created_at", "-id").limit(200))


async def get_invitation(ctx: Context, pk: int) -> Invitation | None:
    actor = ctx.require_actor()
    if actor.role not in ("ADMIN", "MANAGER"):
        return None
    return await (await _visible_invitations(ctx)).filter(id=pk).first()


async def revoke_invitation(ctx: Context, invitation_id: str) -> Invitation:
    """Withdraw a pending invitation the caller may see (ADMIN: any;
    MANAGER: theirs and their teams'); its link opens nothing after.
    Revoking one that is not pending changes nothing."""
    actor = _inviter(ctx)
    pk = pk_of(invitation_id, "Invitation")
    invitation = await (await _visible_invitations(ctx)).filter(id=pk).first() if pk else None
    if invitation is None:
        raise NotFound(_("Invitation"), ["id"])
    if status_of(invitation) != "PENDING":
        return invitation
    now = datetime.now(UTC)
    async with unit_of_work():
        if await Invitation.filter(id=invitation.id, used_at=None, revoked_at=None).update(revoked_at=now):
            invitation.revoked_at = now
            await record_event(
                actor,
                actor.workspace_id,
                "invitation.revoked",
                N_("Invitation to {email} revoked", email=invitation.email),
                data={"invitationId": invitation.id, "email": invitation.email},
            )
    return invitation


@dataclass
class OpenedInvitation:
    """What the invitee sees before accepting (no secret in it)."""

    invitation: Invitation
    workspace_name: str
    status: str


async def open_invitation(ctx: Context, token: str) -> OpenedInvitation | None:
    """The invitation a link's token names, whatever its status, or None.
    Public: the token is the credential."""
    invitation = await _by_token(ctx, token)
    if invitation is None:
        return None
    workspace = await Workspace.get(id=invitation.workspace_id)
    return OpenedInvitation(invitation, workspace.name, status_of(invitation))


async def _by_token(ctx: Context, token: str) -> Invitation | None:
    digest = token_digest(ctx.settings, INVITATION_PREFIX, token or "")
    if digest is None:
        return None
    return await Invitation.filter(token_hash=digest).first()


async def accept_invitation(ctx: Context, *, token: str, name: str | None, password: str) -> Authenticated:
    """The invitee joins with the invitation's e-mail, role and team, choosing
    their name (default: the one the admin typed) and password, and is logged
    in. Unusable tokens are INVALID on token and throttled per client IP, like
    reset links."""
    check_password(password)
    attempt = await attempt_limits.password_reset_attempt(ctx)
    try:
        joined = await _accept(ctx, token, name, password)
    except DomainError:
        raise  # the reservation stays: it is this failure
    except BaseException:
        await attempt.release()
        raise
    await attempt.release()
    return joined


async def _accept(ctx: Context, token: str, name: str | None, password: str) -> Authenticated:
    invitation = await _by_token(ctx, token)
    status = "UNKNOWN" if invitation is None else status_of(invitation)
    if invitation is None or status != "PENDING":
        raise DomainError("INVALID", str(REFUSALS[status]), TOKEN_FIELD)
    if name is None or not name.strip():
        name = invitation.name
    name = required_text(name, ["input", "name"])
    if await User.filter(email=invitation.email).exists():
        raise DomainError("DUPLICATE", _("A user with this e-mail already exists."), ["input", "token"])
    team = await Team.filter(id=invitation.team_id).first() if invitation.team_id else None
    password_hash = await hash_password(ctx.settings, password)
    now = datetime.now(UTC)
    try:
        async with unit_of_work():
            if not await claim(Invitation, invitation.id, now, revoked_at=None):
                raise DomainError("INVALID", str(REFUSALS["ACCEPTED"]), TOKEN_FIELD)
            user = await User.create(
                workspace_id=invitation.workspace_id,
                name=name,
                email=invitation.email,
                password_hash=password_hash,
                role=invitation.role,
                team=team,
            )
            await Invitation.filter(id=invitation.id).update(accepted_user_id=user.id)
            actor = Actor(invitation.workspace_id, user.id, user.role)
            await record_event(
                actor,
                invitation.workspace_id,
                "invitation.accepted",
                N_(
                    "{name} accepted the invitation and joined as {role}",
                    name=name,
                    role=ROLE_NAMES[user.role],
                ),
                data={
                    "invitationId": invitation.id,
                    "userId": user.id,
                    "role": user.role,
                    "teamId": team.id if team else None,
                },
            )
            session_token = await _new_session(ctx.settings, user)
    except IntegrityError as exc:  # a concurrent sign-up took the e-mail
        raise DomainError("DUPLICATE", _("A user with this e-mail already exists."), TOKEN_FIELD) from exc
    return Authenticated(session_token, user)
