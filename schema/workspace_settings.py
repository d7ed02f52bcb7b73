"""GraphQL surface of the workspace's settings (updateWorkspace)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import workspace_settings
from revgraph.schema.common import UserError, ctx_of, input_dict, mutate
from revgraph.schema.identity import Workspace
from revgraph.schema.permissions import ADMIN


@strawberry.input(description="Changes to the workspace's settings: only the fields sent change.")
class WorkspaceInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description='IANA time zone, e.g. "America/Sao_Paulo".'
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="ISO 4217 code for deals created from now on (existing deals keep theirs).",
    )
    lead_lock_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Days a returning lead keeps its owner (0 to 3650; 0: never)."
    )
    trash_retention_days: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Days trashed records are kept before being destroyed (1 to 3650).",
    )
    email_sender_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name automation e-mails come from; null clears it."
    )
    email_sender_address: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Address automation e-mails come from; null: the server's REVGRAPH_SMTP_FROM.",
    )
    default_locale: str | None = strawberry.field(default=strawberry.UNSET, description='"pt-BR" or "en".')


@strawberry.type(description="Result of updateWorkspace.")
class WorkspacePayload:
    workspace: Workspace | None = strawberry.field(default=None, description="The workspace.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class WorkspaceSettingsMutation:
    @strawberry.mutation(
        description="Change the workspace's settings (name, time zone, currency, lead lock and trash retention days, automation e-mail sender, default language). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_workspace(self, info: Info, input: WorkspaceInput) -> WorkspacePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await workspace_settings.update_workspace(ctx, input_dict(input))
            return {"workspace": Workspace.of(row)}

        return await mutate(WorkspacePayload, work)
