"""Rule configuration (ADMIN): create, replace, enable/disable, delete,
list, and the stage automations shown on a stage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from revgraph.models.automation import AutomationRule
from revgraph.resolvers.automations.definitions import (
    CONVERSATION_TRIGGERS,
    KIND_NAMES,
    validate_actions,
    validate_trigger,
)
from revgraph.resolvers.automations.subjects import CONVERSATION_CONDITION_FIELDS
from revgraph.resolvers.contact_queries import CONTACT_FIELDS
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.filters import with_custom_fields
from revgraph.resolvers.deal_queries import DEAL_FIELDS
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.filtering import stored_filter
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.validation import required_text


async def _definition(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    name = required_text(values.get("name"), ["input", "name"], max_length=200, what=_("Name"))
    kind, trigger = await validate_trigger(ctx, values.get("trigger") or {})
    limits = ctx.settings.limits
    workspace_id = ctx.require_actor().workspace_id
    contact_conditions, deal_conditions = values.get("contact_conditions"), values.get("deal_conditions")
    contact_fields = await with_custom_fields(CONTACT_FIELDS, workspace_id, "CONTACT", contact_conditions)
    deal_fields = await with_custom_fields(DEAL_FIELDS, workspace_id, "DEAL", deal_conditions)
    check_filter(contact_conditions, contact_fields, limits, ["input", "contactConditions"])
    check_filter(deal_conditions, deal_fields, limits, ["input", "dealConditions"])
    conversation_conditions = values.get("conversation_conditions")
    if conversation_conditions and kind not in CONVERSATION_TRIGGERS:
        names = ", ".join(sorted(KIND_NAMES[k] for k in CONVERSATION_TRIGGERS))
        raise DomainError(
            "INVALID",
            _(
                "Conditions on a conversation need a conversation: use one of the triggers {names}.",
                names=names,
            ),
            ["input", "conversationConditions"],
        )
    check_filter(
        conversation_conditions, CONVERSATION_CONDITION_FIELDS, limits, ["input", "conversationConditions"]
    )
    actions = await validate_actions(ctx, kind, values.get("actions") or [])
    return {
        "name": name,
        "enabled": values.get("enabled", True) is not False,
        "trigger_kind": kind,
        "trigger": trigger,
        "from_stage_id": trigger.get("fromStageId"),
        "to_stage_id": trigger.get("toStageId"),
        "contact_conditions": stored_filter(values.get("contact_conditions")) or None,
        "deal_conditions": stored_filter(values.get("deal_conditions")) or None,
        "conversation_conditions": stored_filter(conversation_conditions) or None,
        "actions": actions,
    }


async def create_rule(ctx: Context, values: dict[str, Any]) -> AutomationRule:
    """A rule acts on events recorded after it exists; its definition is
    validated whole (exactly one member per action, ids of this workspace)."""
    actor = ctx.require_admin()
    definition = await _definition(ctx, values)
    async with unit_of_work():
        rule = await AutomationRule.create(
            workspace_id=actor.workspace_id, created_by_id=actor.user_id, **definition
        )
        await record_event(
            actor,
            actor.workspace_id,
            "automation_rule.created",
            N_("Automation rule '{rule_name}' created", rule_name=rule.name),
            data={"ruleId": rule.id},
        )
    return rule


async def _rule(ctx: Context, raw_id: str | None, field: list[str]) -> AutomationRule:
    actor = ctx.require_admin()
    rule = await AutomationRule.filter(
        id=pk_of(raw_id, "AutomationRule") or 0, workspace_id=actor.workspace_id, deleted_at=None
    ).first()
    if rule is None:
        raise NotFound(_("Automation rule"), field)
    return rule


async def update_rule(ctx: Context, raw_id: str, values: dict[str, Any]) -> AutomationRule:
    """Replace a rule's definition. Runs already started keep going with the
    new actions from the step they reached."""
    actor = ctx.require_admin()
    rule = await _rule(ctx, raw_id, ["id"])
    definition = await _definition(ctx, values)
    async with unit_of_work():
        await AutomationRule.filter(id=rule.id).update(**definition, updated_at=datetime.now(UTC))
        await record_event(
            actor,
            actor.workspace_id,
            "automation_rule.updated",
            N_("Automation rule '{name}' changed", name=definition["name"]),
            data={"ruleId": rule.id},
        )
    return await AutomationRule.get(id=rule.id)


async def set_rule_enabled(ctx: Context, raw_id: str, enabled: bool) -> AutomationRule:
    """A disabled rule starts no runs, and its waiting runs end as SKIPPED when they wake."""
    actor = ctx.require_admin()
    rule = await _rule(ctx, raw_id, ["id"])
    if rule.enabled == enabled:
        return rule
    async with unit_of_work():
        rule.enabled = enabled
        await rule.save(update_fields=["enabled", "updated_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "automation_rule.enabled" if enabled else "automation_rule.disabled",
            N_(
                "Automation rule '{rule_name}' {value}",
                rule_name=rule.name,
                value=N_("enabled") if enabled else N_("disabled"),
            ),
            data={"ruleId": rule.id},
        )
    return rule


async def delete_rule(ctx: Context, raw_id: str) -> int:
    """Delete a rule; its runs stay readable in automationRuns."""
    actor = ctx.require_admin()
    rule = await _rule(ctx, raw_id, ["id"])
    async with unit_of_work():
        rule.deleted_at = datetime.now(UTC)
        rule.enabled = False
        await rule.save(update_fields=["deleted_at", "enabled", "updated_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "automation_rule.deleted",
            N_("Automation rule '{rule_name}' deleted", rule_name=rule.name),
            data={"ruleId": rule.id},
        )
    return rule.id


async def list_rules(ctx: Context) -> list[AutomationRule]:
    actor = ctx.require_admin()
    return await AutomationRule.filter(workspace_id=actor.workspace_id, deleted_at=None).order_by("id")


async def get_rule(ctx: Context, pk: int) -> AutomationRule | None:
    """A live rule of the caller's workspace; none for non-admins (node lookups)."""
    actor = ctx.require_actor()
    if not actor.is_admin:
        return None
    return await AutomationRule.filter(id=pk, workspace_id=actor.workspace_id, deleted_at=None).first()


async def stage_rules(ctx: Context, stage_id: int) -> list[AutomationRule]:
    """Rules on entering or leaving the stage (ADMIN sees them; others get none)."""
    actor = ctx.require_actor()
    if not actor.is_admin:
        return []
    return await AutomationRule.filter(
        Q(from_stage_id=stage_id) | Q(to_stage_id=stage_id),
        workspace_id=actor.workspace_id,
        trigger_kind="deal.stage_changed",
        deleted_at=None,
    ).order_by("id")
