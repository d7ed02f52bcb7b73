"""GraphQL surface of identity: workspace, users, teams, API keys, auth."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import api_keys, identity, loaders, user_locale
from revgraph.resolvers import teams as team_changes
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.visibility import scope_of
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, mutate, query, selects
from revgraph.schema.connections import Connection, build
from revgraph.schema.key_scope_gate import ApiKeyScope
from revgraph.schema.permissions import ADMIN, AUTHENTICATED, PUBLIC
from revgraph.schema.poll import CHANGES_WITH_TIME


@strawberry.enum(
    description="What a user may do: ADMIN configures and sees all; MANAGER sees their team subtree; AGENT sees their own records."
)
class Role(Enum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    AGENT = "AGENT"


@strawberry.type(description="The customer company: every record belongs to exactly one workspace.")
class Workspace(Node):
    name: str = strawberry.field(description="Display name.")
    currency: str = strawberry.field(description='ISO 4217 currency of deal values, default "BRL".')
    timezone: str = strawberry.field(description='IANA time zone, default "America/Sao_Paulo".')
    lead_lock_days: int = strawberry.field(
        description="A returning lead keeps its owner while its last activity is younger than this (default 30); after it, it is redistributed."
    )
    trash_retention_days: int = strawberry.field(
        description="Trashed records are destroyed this many days after they were trashed (default 30)."
    )
    email_sender_name: str | None = strawberry.field(
        description="The name automation e-mails come from; null: none."
    )
    email_sender_address: str | None = strawberry.field(
        description="The address automation e-mails come from; null: the server's REVGRAPH_SMTP_FROM."
    )
    default_locale: str = strawberry.field(
        description='The language of messages people read when their own setting says nothing: "pt-BR" (default) or "en".'
    )

    @classmethod
    def of(cls, row: Any) -> Workspace:
        return cls(
            id=strawberry.ID(encode_id("Workspace", row.id)),
            name=row.name,
            currency=row.currency,
            timezone=row.timezone,
            lead_lock_days=row.lead_lock_days,
            trash_retention_days=row.trash_retention_days,
            email_sender_name=row.email_sender_name,
            email_sender_address=row.email_sender_address,
            default_locale=row.default_locale,
        )


@strawberry.type(description="A person who logs in to the workspace.")
class User(Node):
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="Log-in e-mail, lower-cased; unique across all workspaces.")
    role: Role = strawberry.field(description="What the user may see and do.")
    active: bool = strawberry.field(
        description="false once deactivated (deactivateUser): cannot log in and receives no leads."
    )
    locale: str | None = strawberry.field(
        default=None,
        description='The language the user reads: "pt-BR" or "en"; null follows the workspace\'s defaultLocale (setMyLocale).',
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="The team the user belongs to, if any.")
    async def team(self, info: Info) -> Annotated[Team, strawberry.lazy("revgraph.schema.identity")] | None:
        if self.row.team_id is None:
            return None
        row = await loaders.teams(ctx_of(info)).load(self.row.team_id)
        return Team.of(row) if row else None

    @strawberry.field(
        description="Available for ONLINE-mode queues: set by setAvailability, and cleared automatically after the presence timeout (15 min) without API activity or an open websocket.",
        metadata=CHANGES_WITH_TIME,
    )
    def online(self, info: Info) -> bool:
        return identity.is_online(ctx_of(info).settings, self.row)

    @classmethod
    def of_row(cls, row: Any) -> User | None:
        """`of`, or None for a missing row (an edge to a user that is gone)."""
        return cls.of(row) if row else None

    @classmethod
    def of(cls, row: Any) -> User:
        return cls(
            id=strawberry.ID(encode_id("User", row.id)),
            name=row.name,
            email=row.email,
            role=Role(row.role),
            active=row.active,
            locale=row.locale,
            row=row,
        )


# The columns `User.of` reads, by the field each makes: a read that shows
# only these fields of a user needs only these columns (a board's owners,
# read with the cards: resolvers/read_rows.py `Join`).
USER_COLUMNS = {
    "id": "id",
    "name": "name",
    "email": "email",
    "role": "role",
    "active": "active",
    "locale": "locale",
}


@strawberry.type(
    description="A node of the sales hierarchy. Teams form a tree; a manager sees the records of their team and every team below it."
)
class Team(Node):
    name: str = strawberry.field(description="Team name, unique in the workspace.")
    row: strawberry.Private[Any]

    @strawberry.field(description="The user who manages this team (and its subtree).")
    async def manager(self, info: Info) -> User | None:
        if self.row.manager_id is None:
            return None
        row = await loaders.users(ctx_of(info)).load(self.row.manager_id)
        return User.of(row) if row else None

    @strawberry.field(description="The team above this one, or null for a root team.")
    async def parent(self, info: Info) -> Team | None:
        if self.row.parent_id is None:
            return None
        row = await loaders.teams(ctx_of(info)).load(self.row.parent_id)
        return Team.of(row) if row else None

    @strawberry.field(description="Users whose team is this one (not including sub-teams).")
    async def members(self, info: Info) -> list[User]:
        rows = await loaders.team_members(ctx_of(info)).load(self.row.id)
        return [User.of(r) for r in rows]

    @strawberry.field(
        description="Whether the team is in the caller's scope: for an ADMIN every team; for a MANAGER the teams they manage or belong to and every team below them (where they may invite agents); for an AGENT none."
    )
    async def in_my_scope(self, info: Info) -> bool:
        return (await scope_of(ctx_of(info))).sees_team(self.row.id)

    @classmethod
    def of(cls, row: Any) -> Team:
        return cls(id=strawberry.ID(encode_id("Team", row.id)), name=row.name, row=row)


@strawberry.type(
    description="A partner credential. It acts for a user of the workspace with at most its role."
)
class ApiKey(Node):
    name: str = strawberry.field(description="What the key is for.")
    role: Role = strawberry.field(description="The most the key may do (capped by its user's role).")
    scope: ApiKeyScope = strawberry.field(
        default=ApiKeyScope.FULL, description="What the key may do at all (FULL, READ_ONLY, INTAKE)."
    )
    created_at: datetime = strawberry.field(description="When the key was issued.")
    revoked_at: datetime | None = strawberry.field(
        default=None, description="When it was revoked; null while it works."
    )

    @classmethod
    def of(cls, row: Any) -> ApiKey:
        return cls(
            id=strawberry.ID(encode_id("ApiKey", row.id)),
            name=row.name,
            role=Role(row.role),
            scope=ApiKeyScope(row.scope),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(name="UserConnection", description="A page of users.")
class UserConnection(Connection[User]):
    pass


@strawberry.type(
    description="Result of signUp/logIn: a session token (send as `Authorization: Bearer <token>`), or null with userErrors."
)
class AuthPayload:
    token: str | None = strawberry.field(default=None, description="Session token; valid 30 days.")
    user: User | None = strawberry.field(default=None, description="The logged-in user.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of a user mutation.")
class UserPayload:
    user: User | None = strawberry.field(default=None, description="The user as changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of createTeam / updateTeam.")
class TeamPayload:
    team: Team | None = strawberry.field(default=None, description="The team as created or changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of createApiKey. The secret is shown only here, once.")
class ApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The new key.")
    secret: str | None = strawberry.field(
        default=None, description="The key's secret; store it now, it cannot be read again."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of logOut.")
class LogOutPayload:
    ok: bool = strawberry.field(default=False, description="The session is revoked.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of logOutEverywhere.")
class LogOutEverywherePayload:
    sessions_revoked: int = strawberry.field(
        default=0, description="How many sessions (browsers and session tokens) stopped working."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.input(description="A new workspace and its first administrator.")
class SignUpInput:
    workspace_name: str = strawberry.field(description="Name of the new workspace.")
    name: str = strawberry.field(description="The administrator's name.")
    email: str = strawberry.field(description="Log-in e-mail; must not be taken in any workspace.")
    password: str = strawberry.field(description="At least 8 characters.")


@strawberry.input(description="Credentials.")
class LogInInput:
    email: str = strawberry.field(description="Log-in e-mail.")
    password: str = strawberry.field(description="Password.")


@strawberry.input(description="A new user of the caller's workspace.")
class CreateUserInput:
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="Log-in e-mail; unique across workspaces.")
    password: str = strawberry.field(description="At least 8 characters.")
    role: Role = strawberry.field(description="ADMIN, MANAGER or AGENT.")
    team_id: strawberry.ID | None = strawberry.field(default=None, description="Team to join.")


@strawberry.input(description="A new team of the hierarchy.")
class CreateTeamInput:
    name: str = strawberry.field(description="Unique in the workspace.")
    manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="User managing the team and its subtree."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Team above; null for a root team."
    )


@strawberry.input(description="Changes to a team: only the fields sent change.")
class UpdateTeamInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Unique in the workspace; not blank."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="User managing the team and its subtree; null: none."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Team above; null makes it a root team. The team itself or one below it is RULE_VIOLATION (a cycle).",
    )


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="What the key is for.")
    role: Role = strawberry.field(description="The most the key may do.")
    scope: ApiKeyScope | None = strawberry.field(
        default=None,
        description="What the key may do at all (default FULL): READ_ONLY for a reporting tool, INTAKE for a partner that only sends leads and deal updates.",
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The user the key acts for (default: the calling admin); its role caps the key's.",
    )


def _auth_values(result: identity.Authenticated) -> dict[str, Any]:
    return {"token": result.token, "user": User.of(result.user)}


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description="The calling user, or null when not authenticated.", permission_classes=PUBLIC
    )
    async def me(self, info: Info) -> User | None:
        row = await identity.me(ctx_of(info))
        return User.of(row) if row else None

    @strawberry.field(description="The caller's workspace.", permission_classes=AUTHENTICATED)
    async def workspace(self, info: Info) -> Workspace:
        return Workspace.of(await query(identity.workspace_of(ctx_of(info))))

    @strawberry.field(description="Users of the workspace, oldest first.", permission_classes=AUTHENTICATED)
    async def users(self, info: Info, first: int | None = None, after: str | None = None) -> UserConnection:
        page = await query(
            identity.list_users(
                ctx_of(info), first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return build(UserConnection, page, User.of)

    @strawberry.field(
        description="Every team of the workspace (the hierarchy as a flat list; follow `parent`).",
        permission_classes=AUTHENTICATED,
    )
    async def teams(self, info: Info) -> list[Team]:
        return [Team.of(r) for r in await query(identity.list_teams(ctx_of(info)))]

    @strawberry.field(
        description="The workspace's API keys (secrets are never shown again). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.of(r) for r in await query(api_keys.list_api_keys(ctx_of(info)))]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description="Create a workspace (BRL, America/Sao_Paulo) and its first ADMIN, logged in. Public unless REVGRAPH_ALLOW_SIGNUP=false. A taken e-mail is DUPLICATE; failed attempts are throttled (20 per client IP in an hour, then LIMIT_EXCEEDED). Once per document.",
        permission_classes=PUBLIC,
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        ctx = ctx_of(info)
        return await mutate(AuthPayload, lambda: _signed_up(ctx, input))

    @strawberry.mutation(
        description="Exchange e-mail and password for a session token. Failed attempts are throttled (10 per e-mail, 100 per IP in 15 minutes). Once per document.",
        permission_classes=PUBLIC,
    )
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return _auth_values(await identity.log_in(ctx, email=input.email, password=input.password))

        return await mutate(AuthPayload, work)

    @strawberry.mutation(description="Add a user to the workspace. ADMIN only.", permission_classes=ADMIN)
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await identity.create_user(
                ctx,
                name=input.name,
                email=input.email,
                password=input.password,
                role=input.role.value,
                team_id=input.team_id,
            )
            return {"user": User.of(row)}

        return await mutate(UserPayload, work)

    @strawberry.mutation(description="Add a team to the hierarchy. ADMIN only.", permission_classes=ADMIN)
    async def create_team(self, info: Info, input: CreateTeamInput) -> TeamPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await identity.create_team(
                ctx, name=input.name, manager_id=input.manager_id, parent_id=input.parent_id
            )
            return {"team": Team.of(row)}

        return await mutate(TeamPayload, work)

    @strawberry.mutation(
        description="Rename a team, change its manager or move it in the tree (only the fields sent change). A manager or parent change takes effect at once: managers' open websockets close so they reconnect with their new scope. Members move with updateUser's teamId. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_team(self, info: Info, id: strawberry.ID, input: UpdateTeamInput) -> TeamPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"team": Team.of(await team_changes.update_team(ctx, id, input_dict(input)))}

        return await mutate(TeamPayload, work)

    @strawberry.mutation(
        description="Issue an API key; the secret is returned once. Its role may not exceed its user's (FORBIDDEN on input.role). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            issued = await api_keys.create_api_key(
                ctx,
                name=input.name,
                role=input.role.value,
                user_id=input.user_id,
                scope=input.scope.value if input.scope else None,
            )
            return {"api_key": ApiKey.of(issued.key), "secret": issued.secret}

        return await mutate(ApiKeyPayload, work)

    @strawberry.mutation(
        description="Revoke the session token you are using (log out everywhere it is used): it stops working at once, and its open websockets on every server are closed with 4403 within a second.",
        permission_classes=AUTHENTICATED,
    )
    async def log_out(self, info: Info) -> LogOutPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            await identity.log_out(ctx)
            return {"ok": True}

        return await mutate(LogOutPayload, work)

    @strawberry.mutation(
        description="Revoke every session of your user (each browser and each session token, this one included): they stop working at once and their open websockets close with 4403. API keys stay; an admin revokes them with revokeApiKey.",
        permission_classes=AUTHENTICATED,
    )
    async def log_out_everywhere(self, info: Info) -> LogOutEverywherePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"sessions_revoked": await identity.log_out_everywhere(ctx)}

        return await mutate(LogOutEverywherePayload, work)

    @strawberry.mutation(
        description="Revoke an API key; its secret stops working at once, and its open websockets on every server are closed with 4403 within a second. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"api_key": ApiKey.of(await api_keys.revoke_api_key(ctx, id))}

        return await mutate(ApiKeyPayload, work)

    @strawberry.mutation(
        description='Choose the language you read messages and timelines in: "pt-BR" or "en"; null follows the workspace\'s defaultLocale. A language not offered is INVALID on ["locale"].',
        permission_classes=AUTHENTICATED,
    )
    async def set_my_locale(self, info: Info, locale: str | None) -> UserPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"user": User.of(await user_locale.set_my_locale(ctx, locale))}

        return await mutate(UserPayload, work)

    @strawberry.mutation(
        description="Go online (receive leads from ONLINE-mode queues) or offline.",
        permission_classes=AUTHENTICATED,
    )
    async def set_availability(self, info: Info, online: bool) -> UserPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"user": User.of(await identity.set_availability(ctx, online=online))}

        return await mutate(UserPayload, work)


async def _signed_up(ctx: Any, input: SignUpInput) -> dict[str, Any]:
    return _auth_values(
        await identity.sign_up(
            ctx,
            workspace_name=input.workspace_name,
            name=input.name,
            email=input.email,
            password=input.password,
        )
    )
