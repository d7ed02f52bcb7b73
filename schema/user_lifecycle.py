"""GraphQL surface of a user's lifecycle: updateUser, passwords (change,
reset links), deactivateUser and reactivateUser."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import passwords, user_lifecycle
from revgraph.schema.common import UserError, ctx_of, input_dict, mutate
from revgraph.schema.identity import Role, User, UserPayload
from revgraph.schema.permissions import ADMIN, AUTHENTICATED, PUBLIC


@strawberry.enum(description="Where a deactivated user's open leads go.")
class LeadsDestination(Enum):
    QUEUES = strawberry.enum_value(
        "QUEUES",
        description="Each lead they hold through a queue is distributed through that queue again (waiting there, QUEUED, when nobody is eligible, with its previous owner until someone takes it); leads that never went through a queue go to their manager.",
    )
    MANAGER = strawberry.enum_value(
        "MANAGER",
        description="Every lead goes to their manager: the nearest active manager up their team tree, or the admin who deactivates them when there is none.",
    )


@strawberry.input(description="What to change about a user; fields left out stay as they are.")
class UpdateUserInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    role: Role | None = strawberry.field(default=strawberry.UNSET, description="ADMIN only.")
    team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Team to belong to; null: no team. ADMIN only."
    )


@strawberry.input(description="The caller's current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password in use now.")
    new_password: str = strawberry.field(description="8 to 256 characters, other than the current one.")


@strawberry.input(description="A reset link's token and the new password.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The token after `#` in the reset link.")
    new_password: str = strawberry.field(description="8 to 256 characters.")


@strawberry.type(description="Result of changePassword and resetPassword.")
class PasswordPayload:
    ok: bool = strawberry.field(default=False, description="The new password is set.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of createPasswordResetLink. The token is shown only here, once.")
class PasswordResetLinkPayload:
    user: User | None = strawberry.field(default=None, description="Whose password the link resets.")
    token: str | None = strawberry.field(
        default=None, description="The one-time token; it cannot be read again."
    )
    path: str | None = strawberry.field(
        default=None,
        description="Where the link lands on this server, `/reset-password#<token>`: prefix the server's address and pass it on.",
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the link stops working (24 hours after it was issued)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of deactivateUser.")
class DeactivateUserPayload:
    user: User | None = strawberry.field(default=None, description="The user, now inactive.")
    leads_to_queues: int = strawberry.field(
        default=0, description="Open leads distributed through their queue again (assigned or waiting)."
    )
    leads_to_manager: int = strawberry.field(default=0, description="Open leads handed to `manager`.")
    manager: User | None = strawberry.field(
        default=None, description="Who received the leads that went to a manager."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class UserLifecycleMutation:
    @strawberry.mutation(
        description="Change a user's name, role or team. ADMIN for anyone; anyone may change their own name (other changes: FORBIDDEN). The last active ADMIN cannot be demoted (RULE_VIOLATION). A role or team change closes the user's open websockets on every server with 4403 within a second, so they reconnect with the new scope; their API keys above a new, lower role are lowered to it.",
        permission_classes=AUTHENTICATED,
    )
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> UserPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"user": User.of(await user_lifecycle.update_user(ctx, id, input_dict(input)))}

        return await mutate(UserPayload, work)

    @strawberry.mutation(
        description="Change your own password, giving the current one (wrong: INVALID on currentPassword, throttled with failed log-ins: 10 per e-mail, 100 per IP in 15 minutes). Your other sessions are revoked and their websockets close; the session you use stays. Not with an API key. Once per document.",
        permission_classes=AUTHENTICATED,
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> PasswordPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            await passwords.change_password(
                ctx, current_password=input.current_password, new_password=input.new_password
            )
            return {"ok": True}

        return await mutate(PasswordPayload, work)

    @strawberry.mutation(
        description="Issue a one-time link for an active user to set a new password (`/reset-password#<token>` on this server), valid 24 hours; the token is shown once. Older unused links of that user stop working. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_password_reset_link(
        self, info: Info, user_id: strawberry.ID
    ) -> PasswordResetLinkPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            issued = await passwords.create_password_reset_link(ctx, user_id=user_id)
            return {
                "user": User.of(issued.user),
                "token": issued.token,
                "path": issued.path,
                "expires_at": issued.expires_at,
            }

        return await mutate(PasswordResetLinkPayload, work)

    @strawberry.mutation(
        description="Set a new password with a reset link's token: works once, within 24 hours, for an active user. Every session of the user is revoked and their websockets close; log in again. An invalid, used or expired token is INVALID on token; those failures are throttled (20 per client IP in an hour, then LIMIT_EXCEEDED). Public. Once per document.",
        permission_classes=PUBLIC,
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> PasswordPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            await passwords.reset_password(ctx, token=input.token, new_password=input.new_password)
            return {"ok": True}

        return await mutate(PasswordPayload, work)

    @strawberry.mutation(
        description="Deactivate a user, at once and in one change: they cannot log in, every session and API key of theirs is revoked (open websockets close with 4403 within a second), they leave every queue, and their open leads (contacts not DISQUALIFIED or CUSTOMER, open deals, open assignments) go where `leadsGoTo` says, each move on the lead's timeline. Not yourself, not the last active ADMIN (RULE_VIOLATION). Deactivating an inactive user changes nothing. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def deactivate_user(
        self, info: Info, id: strawberry.ID, leads_go_to: LeadsDestination
    ) -> DeactivateUserPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            done = await user_lifecycle.deactivate_user(ctx, id, leads_go_to=leads_go_to.value)
            values: dict[str, Any] = {"user": User.of(done.user)}
            if done.leads is not None:
                values |= {
                    "leads_to_queues": done.leads.to_queues,
                    "leads_to_manager": done.leads.to_manager,
                    "manager": User.of(done.leads.manager) if done.leads.to_manager else None,
                }
            return values

        return await mutate(DeactivateUserPayload, work)

    @strawberry.mutation(
        description="Let a deactivated user log in again. They are not put back in any queue and get no lead back (add them with setQueueMember); their old sessions and API keys stay revoked. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def reactivate_user(self, info: Info, id: strawberry.ID) -> UserPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"user": User.of(await user_lifecycle.reactivate_user(ctx, id))}

        return await mutate(UserPayload, work)
