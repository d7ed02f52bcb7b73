"""What a rule may say: trigger kinds, action types and their settings,
validated into the JSON the engine reads (ids as primary keys, filters with
GraphQL key names so they read back like the input)."""

from __future__ import annotations

import re
from typing import Any

from revgraph.models.distribution import Queue
from revgraph.models.identity import User
from revgraph.models.pipeline import Stage
from revgraph.resolvers.automations.conversation_actions import CONVERSATION_ACTIONS, conversation_params
from revgraph.resolvers.contact_queries import CONTACT_FIELDS
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.filters import with_custom_fields
from revgraph.resolvers.custom_fields.values import check_settable
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.filtering import camel, stored_filter
from revgraph.resolvers.i18n import _
from revgraph.resolvers.scoring import check_points
from revgraph.resolvers.validation import normalize_email, normalize_tags, required_text
from revgraph.resolvers.visibility import named_record

# GraphQL enum value -> event kind in the log.
TRIGGER_KINDS = {
    "CONTACT_CREATED": "contact.created",
    "CONTACT_UPDATED": "contact.updated",
    "CONTACT_SCORE_CHANGED": "contact.score_changed",
    "LEAD_CAPTURED": "lead.captured",
    "LEAD_REENTERED": "lead.reentered",
    "LEAD_DISQUALIFIED": "lead.disqualified",
    "DEAL_CREATED": "deal.created",
    "DEAL_UPDATED": "deal.updated",
    "DEAL_STAGE_CHANGED": "deal.stage_changed",
    "TASK_COMPLETED": "task.completed",
    "TASK_OVERDUE": "task.overdue",
    "NOTE_ADDED": "note.added",
    "ASSIGNMENT_MADE": "assignment.made",
    "ASSIGNMENT_QUEUED": "assignment.queued",
    "CONVERSATION_CREATED": "conversation.created",
    "CONVERSATION_ASSIGNED": "conversation.assigned",
    "CONVERSATION_RESOLVED": "conversation.resolved",
    "MESSAGE_RECEIVED": "conversation.message_received",
    "SLA_WARNING": "conversation.sla_warning",
    "SLA_BREACHED": "conversation.sla_breached",
}
KIND_NAMES = {kind: name for name, kind in TRIGGER_KINDS.items()}
# A rule's trigger kind is the log kind it listens to, except these, which
# read the inbox's log: kind -> the log kinds that may fire it (fired_triggers
# decides from the event's data).
TRIGGER_SOURCES = {
    "conversation.assigned": ("conversation.assigned", "conversation.created"),
    "conversation.resolved": ("conversation.status_changed",),
    "conversation.message_received": ("message.created",),
}
# Log kinds that may fire some trigger.
EVENT_KINDS = frozenset(k for kind in TRIGGER_KINDS.values() for k in TRIGGER_SOURCES.get(kind, (kind,)))
# Triggers whose subject is always a deal: deal actions need one of these.
DEAL_TRIGGERS = frozenset({"deal.created", "deal.updated", "deal.stage_changed"})
# Triggers whose subject is a conversation (and its contact): conversation
# actions and conditions need one of these.
CONVERSATION_TRIGGERS = frozenset(
    kind for name, kind in TRIGGER_KINDS.items() if name.startswith(("CONVERSATION_", "MESSAGE_", "SLA_"))
)


def source_kinds(trigger_kind: str) -> tuple[str, ...]:
    """The log kinds a rule of this trigger kind listens to."""
    return TRIGGER_SOURCES.get(trigger_kind, (trigger_kind,))


def fired_triggers(event_kind: str, data: dict[str, Any] | None) -> tuple[str, ...]:
    """The trigger kinds a logged event fires: its own kind, or for the
    inbox's events what they mean — a conversation given to someone (also
    when it opens routed), resolved, or a message from the contact."""
    data = data or {}
    if event_kind == "conversation.created":
        assigned = data.get("assigneeId") is not None
        return ("conversation.created", "conversation.assigned") if assigned else ("conversation.created",)
    if event_kind == "conversation.assigned":
        return ("conversation.assigned",) if data.get("assigneeId") is not None else ()
    if event_kind == "conversation.status_changed":
        return ("conversation.resolved",) if data.get("to") == "RESOLVED" else ()
    if event_kind == "message.created":
        return ("conversation.message_received",) if data.get("direction") == "INBOUND" else ()
    return (event_kind,) if event_kind in KIND_NAMES else ()


# "Field changed to value" triggers and the fields they may name.
CHANGE_FIELDS = {
    "deal.updated": (
        "title",
        "value",
        "currency",
        "contactId",
        "companyId",
        "ownerId",
        "developmentId",
        "expectedCloseDate",
    ),
    "contact.updated": ("name", "email", "phone", "companyId", "ownerId", "lifecycleStage", "source"),
}
CUSTOM_PREFIX = "customFields."

ACTION_TYPES = (
    "createTask",
    "setField",
    "addTag",
    "removeTag",
    "moveDeal",
    "distribute",
    "assign",
    "sendEmail",
    "notify",
    "adjustScore",
    *CONVERSATION_ACTIONS,
)
# setField: enum value -> (record, field as update_contact/update_deal name it).
SETTABLE_FIELDS = {
    "CONTACT_LIFECYCLE_STAGE": ("contact", "lifecycle_stage"),
    "CONTACT_SOURCE": ("contact", "source"),
    "CONTACT_CUSTOM_FIELD": ("contact", "custom_fields"),
    "DEAL_TITLE": ("deal", "title"),
    "DEAL_VALUE": ("deal", "value"),
    "DEAL_CUSTOM_FIELD": ("deal", "custom_fields"),
}
TEMPLATE_FIELDS = frozenset(
    {
        "contact.name",
        "contact.email",
        "contact.phone",
        "deal.title",
        "deal.value",
        "deal.stage",
        "owner.name",
        "owner.email",
        "rule.name",
    }
)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z]+\.[A-Za-z]+)\s*\}\}")
MAX_ACTIONS = 20
MAX_WAIT_MINUTES = 366 * 24 * 60


def template(value: Any, field: list[str], *, max_length: int, what: str, multiline: bool = False) -> str:
    """Required text whose {{placeholders}} are all known."""
    text = required_text(value, field, max_length=max_length, what=what, multiline=multiline)
    for name in PLACEHOLDER.findall(text):
        if name not in TEMPLATE_FIELDS:
            known = ", ".join("{{" + n + "}}" for n in sorted(TEMPLATE_FIELDS))
            raise DomainError(
                "INVALID",
                _("Unknown placeholder {{{{{name}}}}}: use {known}.", name=name, known=known),
                field,
            )
    return text


async def _user(ctx: Context, raw: Any, field: list[str]) -> int:
    return (await named_record(ctx, User, raw, field)).id


async def validate_trigger(ctx: Context, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event kind and the stored trigger details (stage pks, field/value)."""
    prefix = ["input", "trigger"]
    kind = TRIGGER_KINDS.get(values.get("kind") or "")
    if kind is None:
        raise DomainError("INVALID", _("Unknown trigger kind."), [*prefix, "kind"])
    trigger: dict[str, Any] = {}
    for key in ("from_stage_id", "to_stage_id"):
        if values.get(key) is None:
            continue
        name = camel(key)
        if kind != "deal.stage_changed":
            raise DomainError(
                "INVALID", _("{name} applies only to DEAL_STAGE_CHANGED.", name=name), [*prefix, name]
            )
        trigger[name] = (await named_record(ctx, Stage, values[key], [*prefix, name])).id
    if values.get("field") is not None:
        allowed = CHANGE_FIELDS.get(kind)
        if allowed is None:
            raise DomainError(
                "INVALID", _("field applies only to DEAL_UPDATED and CONTACT_UPDATED."), [*prefix, "field"]
            )
        field_name = str(values["field"]).strip()
        custom = field_name.startswith(CUSTOM_PREFIX) and len(field_name) > len(CUSTOM_PREFIX)
        if field_name not in allowed and not custom:
            names = ", ".join(allowed)
            raise DomainError(
                "INVALID",
                _("field must be one of {names} or customFields.<key>.", names=names),
                [*prefix, "field"],
            )
        trigger["field"] = field_name
        if values.get("value") is not None:
            trigger["value"] = str(values["value"])
    elif values.get("value") is not None:
        raise DomainError("INVALID", _("value needs a field."), [*prefix, "value"])
    return kind, trigger


async def validate_actions(ctx: Context, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each action has exactly one member set; the ids it names are records
    the caller may see (the workspace's, for its ADMIN)."""
    if not items:
        raise DomainError("INVALID", _("A rule needs at least one action."), ["input", "actions"])
    if len(items) > MAX_ACTIONS:
        raise DomainError(
            "INVALID",
            _("A rule has at most {MAX_ACTIONS} actions.", MAX_ACTIONS=MAX_ACTIONS),
            ["input", "actions"],
        )
    return [await _action(ctx, kind, item, ["input", "actions", str(i)]) for i, item in enumerate(items)]


async def _action(ctx: Context, kind: str, item: dict[str, Any], prefix: list[str]) -> dict[str, Any]:
    members = [(camel(k), v) for k, v in item.items() if camel(k) in ACTION_TYPES and v is not None]
    if len(members) != 1:
        raise DomainError(
            "INVALID", _("Set exactly one action: {items}.", items=", ".join(ACTION_TYPES)), prefix
        )
    action_type, raw = members[0]
    params = await _params(ctx, kind, action_type, raw, [*prefix, action_type])
    action: dict[str, Any] = {"type": action_type, "params": params, "waitMinutes": None, "exit": None}
    wait = item.get("wait_minutes")
    if wait is not None:
        if not 0 < wait <= MAX_WAIT_MINUTES:
            raise DomainError(
                "INVALID",
                _("waitMinutes is between 1 and {MAX_WAIT_MINUTES}.", MAX_WAIT_MINUTES=MAX_WAIT_MINUTES),
                [*prefix, "waitMinutes"],
            )
        action["waitMinutes"] = int(wait)
    exit_condition = item.get("exit_condition")
    if exit_condition:
        if wait is None:
            raise DomainError(
                "INVALID",
                _("An exit condition is re-checked after a wait: set waitMinutes."),
                [*prefix, "exitCondition"],
            )
        unless = exit_condition.get("unless_matches")
        check_filter(
            unless,
            await with_custom_fields(CONTACT_FIELDS, ctx.require_actor().workspace_id, "CONTACT", unless),
            ctx.settings.limits,
            [*prefix, "exitCondition", "unlessMatches"],
        )
        action["exit"] = {
            "unlessContacted": bool(exit_condition.get("unless_contacted")),
            "unlessMatches": stored_filter(exit_condition.get("unless_matches")) or None,
        }
    return action


def _needs_deal(kind: str, field: list[str]) -> None:
    if kind not in DEAL_TRIGGERS:
        raise DomainError(
            "INVALID",
            _("This action needs a deal: use a DEAL_CREATED, DEAL_UPDATED or DEAL_STAGE_CHANGED trigger."),
            field,
        )


def _needs_conversation(kind: str, field: list[str]) -> None:
    if kind not in CONVERSATION_TRIGGERS:
        names = ", ".join(sorted(KIND_NAMES[k] for k in CONVERSATION_TRIGGERS))
        raise DomainError(
            "INVALID",
            _("This action needs a conversation: use one of the triggers {names}.", names=names),
            field,
        )


async def _params(ctx: Context, kind: str, action_type: str, raw: Any, field: list[str]) -> dict[str, Any]:
    if action_type in CONVERSATION_ACTIONS:
        _needs_conversation(kind, field)
        return await conversation_params(ctx, action_type, raw, field)
    if action_type == "createTask":
        minutes = raw.get("due_in_minutes")
        if minutes is not None and not 0 <= minutes <= MAX_WAIT_MINUTES:
            raise DomainError(
                "INVALID",
                _("dueInMinutes is between 0 and {MAX_WAIT_MINUTES}.", MAX_WAIT_MINUTES=MAX_WAIT_MINUTES),
                [*field, "dueInMinutes"],
            )
        assign_to = raw.get("assign_to") or "OWNER"
        user_id = None
        if assign_to == "USER":
            user_id = await _user(ctx, raw.get("user_id"), [*field, "userId"])
        return {
            "title": template(raw.get("title"), [*field, "title"], max_length=300, what=_("Title")),
            "dueInMinutes": minutes,
            "assignTo": assign_to,
            "userId": user_id,
        }
    if action_type == "setField":
        target = SETTABLE_FIELDS.get(raw.get("field") or "")
        if target is None:
            raise DomainError("INVALID", _("Unknown field."), [*field, "field"])
        if target[0] == "deal":
            _needs_deal(kind, [*field, "field"])
        key = (raw.get("custom_field_key") or "").strip() or None
        if (target[1] == "custom_fields") != (key is not None):
            raise DomainError(
                "INVALID",
                _("customFieldKey is required for custom fields and only for them."),
                [*field, "customFieldKey"],
            )
        value = raw.get("value")
        if value is not None and len(str(value)) > 1000:
            raise DomainError("INVALID", _("value is at most 1000 characters."), [*field, "value"])
        if key is not None:
            await check_settable(
                ctx.require_actor().workspace_id,
                target[0].upper(),
                key,
                value,
                [*field, "customFieldKey"],
                [*field, "value"],
            )
        return {"field": raw["field"], "customFieldKey": key, "value": value}
    if action_type in ("addTag", "removeTag"):
        return {"tag": normalize_tags([raw.get("tag") or ""], [*field, "tag"], ctx.settings.limits)[0]}
    if action_type == "moveDeal":
        _needs_deal(kind, field)
        stage = await named_record(ctx, Stage, raw.get("stage_id"), [*field, "stageId"])
        reason = (raw.get("lost_reason") or "").strip() or None
        if stage.kind == "LOST" and reason is None:
            raise DomainError(
                "REQUIRED_FIELD_MISSING",
                _("Moving to a LOST stage needs a lostReason."),
                [*field, "lostReason"],
            )
        return {"stageId": stage.id, "lostReason": reason}
    if action_type == "distribute":
        queue = await named_record(ctx, Queue, raw.get("queue_id"), [*field, "queueId"])
        return {"queueId": queue.id}
    if action_type == "assign":
        return {"userId": await _user(ctx, raw.get("user_id"), [*field, "userId"])}
    if action_type == "adjustScore":
        return {"points": check_points(raw.get("points"), [*field, "points"])}
    if action_type == "sendEmail":
        to = raw.get("to") or "CONTACT"
        address = None
        if to == "ADDRESS":
            address = normalize_email(raw.get("address") or "", [*field, "address"])
        return {
            "to": to,
            "address": address,
            "subject": template(raw.get("subject"), [*field, "subject"], max_length=200, what=_("Subject")),
            "body": template(
                raw.get("body"), [*field, "body"], max_length=20_000, what=_("Body"), multiline=True
            ),
        }
    # notify
    to = raw.get("to") or "OWNER"
    user_id = await _user(ctx, raw.get("user_id"), [*field, "userId"]) if to == "USER" else None
    return {
        "to": to,
        "userId": user_id,
        "message": template(
            raw.get("message"), [*field, "message"], max_length=1000, what=_("Message"), multiline=True
        ),
    }
