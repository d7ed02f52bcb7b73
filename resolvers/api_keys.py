"""API keys: an ADMIN issues a key acting for a user with at most a role,
lists and revokes them. The secret is shown once and stored only as a keyed
hash; `credentials.authenticate` accepts it like a session token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from revgraph.models.identity import ApiKey, User
from revgraph.resolvers.context import ROLE_RANK, Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.identity import API_KEY_PREFIX, check_role, secret_digest, user_in_workspace
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.key_scopes import check_scope
from revgraph.resolvers.revocations import Revocation, record_revocation
from revgraph.resolvers.validation import required_text


async def revoke_api_key(ctx: Context, api_key_id: str) -> ApiKey:
    """ADMIN revokes a key of the workspace; its secret stops working at once,
    on HTTP and on the open websockets of every process."""
    actor = ctx.require_admin()
    key = await ApiKey.filter(id=pk_of(api_key_id, "ApiKey") or 0, workspace_id=actor.workspace_id).first()
    if key is None:
        raise NotFound(_("API key"), ["id"])
    if key.revoked_at is None:
        async with unit_of_work():
            key.revoked_at = datetime.now(UTC)
            await key.save(update_fields=["revoked_at"])
            await record_revocation(
                actor,
                actor.workspace_id,
                "api_key.revoked",
                N_("API key {key} revoked", key=key.name),
                Revocation(api_key_ids=frozenset({key.id})),
                data={"apiKeyId": key.id},
            )
    return key


async def list_api_keys(ctx: Context) -> list[ApiKey]:
    actor = ctx.require_admin()
    return list(await ApiKey.filter(workspace_id=actor.workspace_id).order_by("id"))


@dataclass
class IssuedApiKey:
    key: ApiKey
    secret: str


async def create_api_key(
    ctx: Context, *, name: str, role: str, user_id: str | None = None, scope: str | None = None
) -> IssuedApiKey:
    """ADMIN issues a key acting for `user` (default: the admin) with at most
    `role`, which may not exceed the user's own; the secret is returned once
    and stored only as a keyed hash."""
    actor = ctx.require_admin()
    name = required_text(name, ["input", "name"])
    check_role(role)
    scope = check_scope(scope, ["input", "scope"])
    user = await user_in_workspace(actor.workspace_id, user_id, ["input", "userId"])
    if user is None:
        user = await User.get(id=actor.user_id)
    if ROLE_RANK[role] > ROLE_RANK[user.role]:
        # The key would only ever act with the user's role, yet be listed
        # with the higher one: refused rather than misleading whoever audits it.
        raise DomainError(
            "FORBIDDEN",
            _(
                "A key acting for {user} may have at most their role, {user_role}.",
                user=user.name,
                user_role=user.role,
            ),
            ["input", "role"],
        )
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    async with unit_of_work():
        key = await ApiKey.create(
            workspace_id=actor.workspace_id,
            user_id=user.id,
            name=name,
            role=role,
            scope=scope,
            secret_hash=secret_digest(ctx.settings, secret),
        )
        await record_event(
            actor,
            actor.workspace_id,
            "api_key.created",
            N_(
                "API key {name} ({lower}, {lower2}) issued",
                name=name,
                lower=role.lower(),
                lower2=scope.lower(),
            ),
            data={"apiKeyId": key.id, "role": role, "scope": scope},
        )
    return IssuedApiKey(key, secret)
