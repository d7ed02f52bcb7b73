"""GraphQL surface of invitations: an ADMIN (or a MANAGER, agents into
their teams) invites a colleague with a one-time link; the invitee opens
it and joins, logged in."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import invitations, loaders
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import Node, UserError, ctx_of, mutate, query
from revgraph.schema.identity import AuthPayload, Role, Team, User, _auth_values
from revgraph.schema.permissions import MANAGER, PUBLIC


@strawberry.enum(description="Where an invitation stands.")
class InvitationStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Its link still works.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="The invitee joined through it.")
    REVOKED = strawberry.enum_value(
        "REVOKED", description="An admin withdrew it, or a newer invitation to the same e-mail replaced it."
    )
    EXPIRED = strawberry.enum_value("EXPIRED", description="Its 7 days passed unused.")


@strawberry.type(
    description="An invitation to join the workspace. Seen by ADMINs, and by MANAGERs who issued it or whose scope holds its team."
)
class Invitation(Node):
    email: str = strawberry.field(description="Who is invited; their account's e-mail.")
    name: str | None = strawberry.field(description="The name the inviter typed; the invitee may change it.")
    role: Role = strawberry.field(description="The role the invitee gets.")
    status: InvitationStatus = strawberry.field(description="Where it stands now.")
    created_at: datetime = strawberry.field(description="When it was issued.")
    expires_at: datetime = strawberry.field(description="When its link stops working (7 days after issue).")
    accepted_at: datetime | None = strawberry.field(description="When the invitee joined.")
    row: strawberry.Private[Any]

    @strawberry.field(description="The team the invitee joins, if any.")
    async def team(self, info: Info) -> Team | None:
        if self.row.team_id is None:
            return None
        row = await loaders.teams(ctx_of(info)).load(self.row.team_id)
        return Team.of(row) if row else None

    @strawberry.field(description="Who issued it (null if that user is gone).")
    async def invited_by(self, info: Info) -> User | None:
        if self.row.invited_by_id is None:
            return None
        row = await loaders.users(ctx_of(info)).load(self.row.invited_by_id)
        return User.of(row) if row else None

    @classmethod
    def of(cls, row: Any) -> Invitation:
        return cls(
            id=strawberry.ID(encode_id("Invitation", row.id)),
            email=row.email,
            name=row.name,
            role=Role(row.role),
            status=InvitationStatus(invitations.status_of(row)),
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.used_at,
            row=row,
        )


@strawberry.type(
    description="What an invitation link shows before it is accepted. Public: the token is the key."
)
class InvitationPreview:
    email: str = strawberry.field(description="The e-mail the account will have.")
    name: str | None = strawberry.field(description="The name the admin typed, to prefill.")
    workspace_name: str = strawberry.field(description="The workspace the invitee joins.")
    role: Role = strawberry.field(description="The role they get.")
    status: InvitationStatus = strawberry.field(description="Only PENDING can be accepted.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")


@strawberry.input(description="Whom to invite.")
class CreateInvitationInput:
    email: str = strawberry.field(description="Their e-mail; no account may have it yet.")
    role: Role = strawberry.field(description="The role they get.")
    name: str | None = strawberry.field(
        default=None, description="Their name, to prefill; they may change it."
    )
    team_id: strawberry.ID | None = strawberry.field(default=None, description="The team they join.")


@strawberry.input(description="An invitation link's token, and the invitee's name and password.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token after `#/convite/` in the link.")
    password: str = strawberry.field(description="8 to 256 characters.")
    name: str | None = strawberry.field(
        default=None, description="Their name; left out or blank: the name on the invitation."
    )


@strawberry.type(description="Result of createInvitation. The token is shown only here, once.")
class InvitationLinkPayload:
    invitation: Invitation | None = strawberry.field(default=None, description="The new invitation.")
    token: str | None = strawberry.field(
        default=None, description="The one-time token; it cannot be read again."
    )
    path: str | None = strawberry.field(
        default=None,
        description="Where the link lands on this server, `/#/convite/<token>`: prefix the server's address and pass it on.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of revokeInvitation.")
class InvitationPayload:
    invitation: Invitation | None = strawberry.field(default=None, description="The invitation as it is now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class InvitationQuery:
    @strawberry.field(
        description="The invitations the caller may see, newest first (at most 200): ADMIN all of the workspace; MANAGER those they issued and those naming a team of their scope.",
        permission_classes=MANAGER,
    )
    async def invitations(self, info: Info) -> list[Invitation]:
        return [Invitation.of(r) for r in await query(invitations.list_invitations(ctx_of(info)))]

    @strawberry.field(
        description="What an invitation link's token opens, whatever its status; null for a token that names none. Public.",
        permission_classes=PUBLIC,
    )
    async def invitation_preview(self, info: Info, token: str) -> InvitationPreview | None:
        opened = await query(invitations.open_invitation(ctx_of(info), token))
        if opened is None:
            return None
        row = opened.invitation
        return InvitationPreview(
            email=row.email,
            name=row.name,
            workspace_name=opened.workspace_name,
            role=Role(row.role),
            status=InvitationStatus(opened.status),
            expires_at=row.expires_at,
        )


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(
        description="Invite a colleague: returns a one-time link (`/#/convite/<token>`), valid 7 days, the token shown once; no e-mail is sent. An e-mail that already has an account is DUPLICATE; an open invitation to the same e-mail is revoked. ADMIN invites anyone; a MANAGER invites only AGENTs into a team of their scope (Team.inMyScope; another role or team is FORBIDDEN on input.role / input.teamId).",
        permission_classes=MANAGER,
    )
    async def create_invitation(self, info: Info, input: CreateInvitationInput) -> InvitationLinkPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            issued = await invitations.create_invitation(
                ctx, email=input.email, name=input.name, role=input.role.value, team_id=input.team_id
            )
            return {
                "invitation": Invitation.of(issued.invitation),
                "token": issued.token,
                "path": issued.path,
            }

        return await mutate(InvitationLinkPayload, work)

    @strawberry.mutation(
        description="Withdraw a pending invitation: its link stops working. One not pending is returned unchanged. ADMIN: any; MANAGER: those they issued or that name a team of their scope (others are NOT_FOUND).",
        permission_classes=MANAGER,
    )
    async def revoke_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"invitation": Invitation.of(await invitations.revoke_invitation(ctx, id))}

        return await mutate(InvitationPayload, work)

    @strawberry.mutation(
        description="Join the workspace through an invitation link: creates the user with the invitation's e-mail, role and team, and logs them in. A token unknown, used, revoked or expired is INVALID on token (the message says which); those failures are throttled like reset links (LIMIT_EXCEEDED). Public. Once per document.",
        permission_classes=PUBLIC,
    )
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> AuthPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return _auth_values(
                await invitations.accept_invitation(
                    ctx, token=input.token, name=input.name, password=input.password
                )
            )

        return await mutate(AuthPayload, work)
