"""GraphQL operations of automations: rule CRUD (ADMIN), runs and their
retry (ADMIN), notifications (each user's own, live). Types: schema/automations.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from revgraph.resolvers.automations import notifications, rules, runs
from revgraph.resolvers.errors import AuthError, DomainError
from revgraph.resolvers.ids import encode_id
from revgraph.schema.automation_inputs import (
    AutomationRuleInput,
)
from revgraph.schema.automations import (
    AutomationRule,
    AutomationRun,
    AutomationRunConnection,
    AutomationRunStatus,
    Notification,
    NotificationConnection,
)
from revgraph.schema.common import DeletePayload, UserError, ctx_of, input_dict, mutate, query, selects
from revgraph.schema.connections import build
from revgraph.schema.permissions import ADMIN, AUTHENTICATED


@strawberry.type(description="Result of a rule mutation.")
class AutomationRulePayload:
    rule: AutomationRule | None = strawberry.field(default=None, description="The rule as saved.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of retryAutomationRun.")
class AutomationRunPayload:
    run: AutomationRun | None = strawberry.field(default=None, description="The run, PENDING again.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of markNotificationRead.")
class NotificationPayload:
    notification: Notification | None = strawberry.field(default=None, description="The notification.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class AutomationsQuery:
    @strawberry.field(
        description="The workspace's automation rules, oldest first. ADMIN only.", permission_classes=ADMIN
    )
    async def automation_rules(self, info: Info) -> list[AutomationRule]:
        return [AutomationRule.of(r) for r in await query(rules.list_rules(ctx_of(info)))]

    @strawberry.field(description="One rule by id; null if missing. ADMIN only.", permission_classes=ADMIN)
    async def automation_rule(self, info: Info, id: strawberry.ID) -> AutomationRule | None:
        from revgraph.resolvers.ids import pk_of

        row = await query(rules.get_rule(ctx_of(info), pk_of(id, "AutomationRule") or 0))
        return AutomationRule.of(row) if row else None

    @strawberry.field(
        description="Automation runs, newest first, optionally of one rule and/or status (FAILED: the dead letters). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def automation_runs(
        self,
        info: Info,
        rule_id: strawberry.ID | None = None,
        status: AutomationRunStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AutomationRunConnection:
        page = await query(
            runs.list_runs(
                ctx_of(info),
                rule_id=rule_id,
                status=status.value if status else None,
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        return build(AutomationRunConnection, page, AutomationRun.of)

    @strawberry.field(description="Your notifications, newest first.", permission_classes=AUTHENTICATED)
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None, unread_only: bool = False
    ) -> NotificationConnection:
        page = await query(
            notifications.list_notifications(
                ctx_of(info),
                first=first,
                after=after,
                unread_only=unread_only,
                with_total=selects(info, "totalCount"),
            )
        )
        return build(NotificationConnection, page, Notification.of)


@strawberry.type
class AutomationsMutation:
    @strawberry.mutation(description="Create an automation rule. ADMIN only.", permission_classes=ADMIN)
    async def create_automation_rule(self, info: Info, input: AutomationRuleInput) -> AutomationRulePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"rule": AutomationRule.of(await rules.create_rule(ctx, input_dict(input)))}

        return await mutate(AutomationRulePayload, work)

    @strawberry.mutation(
        description="Replace a rule's definition; started runs continue from their step. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_automation_rule(
        self, info: Info, id: strawberry.ID, input: AutomationRuleInput
    ) -> AutomationRulePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"rule": AutomationRule.of(await rules.update_rule(ctx, id, input_dict(input)))}

        return await mutate(AutomationRulePayload, work)

    @strawberry.mutation(description="Enable or disable a rule. ADMIN only.", permission_classes=ADMIN)
    async def set_automation_rule_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool
    ) -> AutomationRulePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"rule": AutomationRule.of(await rules.set_rule_enabled(ctx, id, enabled))}

        return await mutate(AutomationRulePayload, work)

    @strawberry.mutation(
        description="Delete a rule; its runs stay listed in automationRuns. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def delete_automation_rule(self, info: Info, id: strawberry.ID) -> DeletePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            pk = await rules.delete_rule(ctx, id)
            return {"deleted_id": strawberry.ID(encode_id("AutomationRule", pk))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(
        description="Run a FAILED run again from its failed step, with fresh attempts. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def retry_automation_run(self, info: Info, id: strawberry.ID) -> AutomationRunPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"run": AutomationRun.of(await runs.retry_run(ctx, id))}

        return await mutate(AutomationRunPayload, work)

    @strawberry.mutation(description="Mark one of your notifications read.", permission_classes=AUTHENTICATED)
    async def mark_notification_read(self, info: Info, id: strawberry.ID) -> NotificationPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"notification": Notification.of(await notifications.mark_read(ctx, id))}

        return await mutate(NotificationPayload, work)


@strawberry.type
class AutomationsSubscription:
    @strawberry.subscription(description="Your new notifications, live.", permission_classes=AUTHENTICATED)
    async def notifications(self, info: Info) -> AsyncGenerator[Notification, None]:
        try:
            async for row in notifications.notification_stream(ctx_of(info)):
                yield Notification.of(row)
        except (DomainError, AuthError) as error:
            code = error.problems[0].code if isinstance(error, DomainError) else error.code
            raise GraphQLError(str(error), extensions={"code": code}) from error
