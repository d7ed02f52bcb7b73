"""What each action does, through the same use cases a user calls (so
stage gates, dedup and visibility rules apply to automations too), acting
as the rule's system actor. Each returns the line the timeline shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from revgraph.models.automation import AutomationRule, AutomationRun, Notification
from revgraph.models.identity import User, Workspace
from revgraph.models.pipeline import Stage
from revgraph.resolvers import activities, contacts, deal_moves, deals, scoring
from revgraph.resolvers.automations.conversation_actions import CONVERSATION_ACTIONS, perform_on_conversation
from revgraph.resolvers.automations.definitions import SETTABLE_FIELDS
from revgraph.resolvers.automations.email import send_email
from revgraph.resolvers.automations.not_applicable import NotApplicable
from revgraph.resolvers.automations.subjects import Subject, manager_of, render
from revgraph.resolvers.context import Context
from revgraph.resolvers.distribution.assign import distribute
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event
from revgraph.resolvers.i18n import N_, _, unkept
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.workspace_settings import sender_of

# How a distribution ended, as people read it.
ASSIGNMENT_STATUSES = {"ASSIGNED": N_("assigned"), "QUEUED": N_("queued"), "UNASSIGNED": N_("unassigned")}


def _need_contact(subject: Subject) -> str:
    if subject.contact_gid is None:
        raise NotApplicable(_("The event has no contact to act on."))
    return subject.contact_gid


def _need_deal(subject: Subject) -> str:
    if subject.deal_gid is None:
        raise NotApplicable(_("The event has no deal to act on."))
    return subject.deal_gid


async def perform(
    ctx: Context, rule: AutomationRule, run: AutomationRun, action: dict[str, Any], subject: Subject
) -> str:
    """Do one action (caller's transaction) and say what was done."""
    params = action["params"]
    kind = action["type"]
    if kind in CONVERSATION_ACTIONS:
        return await perform_on_conversation(ctx, rule, kind, params, subject)
    if kind == "createTask":
        return await _create_task(ctx, rule, params, subject)
    if kind == "setField":
        return await _set_field(ctx, params, subject)
    if kind in ("addTag", "removeTag"):
        gid = _need_contact(subject)
        tags = [t for t in subject.tags if t != params["tag"]]
        if kind == "addTag":
            tags.append(params["tag"])
        await contacts.update_contact(ctx, gid, {"tags": tags})
        if kind == "addTag":
            return N_("added tag {tag}", tag=params["tag"])
        return N_("removed tag {tag}", tag=params["tag"])
    if kind == "moveDeal":
        return await _move_deal(ctx, params, subject)
    if kind == "distribute":
        if subject.deal is not None:
            assignment = await distribute(
                ctx, queue_id=encode_id("Queue", params["queueId"]), contact_id=None, deal_id=subject.deal_gid
            )
        else:
            assignment = await distribute(
                ctx,
                queue_id=encode_id("Queue", params["queueId"]),
                contact_id=_need_contact(subject),
                deal_id=None,
            )
        return N_(
            "distributed the lead ({status}): {reason}",
            status=ASSIGNMENT_STATUSES.get(assignment.status, assignment.status),
            reason=unkept(assignment.reason),
        )
    if kind == "assign":
        user_gid = encode_id("User", params["userId"])
        if subject.deal is not None:
            await deals.update_deal(ctx, _need_deal(subject), {"owner_id": user_gid})
        else:
            await contacts.update_contact(ctx, _need_contact(subject), {"owner_id": user_gid})
        name = (await User.filter(id=params["userId"]).values_list("name", flat=True) or ["?"])[0]
        return N_("assigned to {name}", name=name)
    if kind == "adjustScore":
        before, after = await scoring.adjust_score(ctx, _need_contact(subject), params["points"])
        return N_(
            "changed the score {before} → {after} ({points:+d})",
            before=before,
            after=after,
            points=params["points"],
        )
    if kind == "sendEmail":
        return await _send_email(ctx, rule, params, subject)
    if kind == "notify":
        return await _notify(ctx, rule, run, params, subject)
    raise DomainError("INVALID", _("Unknown action {kind!r}.", kind=kind))


async def _create_task(ctx: Context, rule: AutomationRule, params: dict[str, Any], subject: Subject) -> str:
    assignee = params["userId"] if params["assignTo"] == "USER" else subject.owner_id
    minutes = params.get("dueInMinutes")
    values: dict[str, Any] = {
        "title": await render(params["title"], subject, rule),
        "due_at": datetime.now(UTC) + timedelta(minutes=minutes) if minutes is not None else None,
        "assignee_id": encode_id("User", assignee) if assignee else None,
    }
    if subject.deal is not None:
        values["deal_id"] = subject.deal_gid
    else:
        values["contact_id"] = _need_contact(subject)
    task = await activities.create_task(ctx, values)
    return N_("created task {task}", task=task.title)


async def _set_field(ctx: Context, params: dict[str, Any], subject: Subject) -> str:
    record, name = SETTABLE_FIELDS[params["field"]]
    value = params.get("value")
    label = name.replace("_", " ")
    if name == "custom_fields":
        current = (subject.deal if record == "deal" else subject.contact) if subject else None
        fields = dict(getattr(current, "custom_fields", None) or {})
        fields[params["customFieldKey"]] = value
        value = fields
        label = f"custom field {params['customFieldKey']}"
    if record == "deal":
        await deals.update_deal(ctx, _need_deal(subject), {name: value})
    else:
        await contacts.update_contact(ctx, _need_contact(subject), {name: value})
    return N_("set {label} to {value}", label=label, value=params.get("value"))


async def _move_deal(ctx: Context, params: dict[str, Any], subject: Subject) -> str:
    gid = _need_deal(subject)
    stage = await Stage.get(id=params["stageId"])
    if subject.deal is not None and subject.deal.stage_id == stage.id:
        return N_("left the deal in {stage} (already there)", stage=stage.name)
    await deal_moves.move_deal(
        ctx,
        {"deal_id": gid, "stage_id": encode_id("Stage", stage.id), "lost_reason": params.get("lostReason")},
    )
    return N_("moved the deal to {stage}", stage=stage.name)


async def _recipient(params: dict[str, Any], subject: Subject) -> str:
    if params["to"] == "ADDRESS":
        return str(params["address"])
    if params["to"] == "CONTACT":
        if subject.contact is None or not subject.contact.email:
            raise NotApplicable(_("The contact has no e-mail address."))
        return subject.contact.email
    owner = await User.filter(id=subject.owner_id or 0).first()
    if owner is None:
        raise NotApplicable(_("The record has no owner to e-mail."))
    return owner.email


async def _send_email(ctx: Context, rule: AutomationRule, params: dict[str, Any], subject: Subject) -> str:
    to = await _recipient(params, subject)
    title = await render(params["subject"], subject, rule)
    body = await render(params["body"], subject, rule)
    workspace = await Workspace.get(id=rule.workspace_id)
    sender = sender_of(workspace, ctx.settings.smtp_from)
    await send_email(ctx.settings, to=to, subject=title, body=body, sender=sender)
    return N_("sent the e-mail '{title}' to {to}", title=title, to=to)


async def _notify(
    ctx: Context, rule: AutomationRule, run: AutomationRun, params: dict[str, Any], subject: Subject
) -> str:
    if params["to"] == "USER":
        user_id = params["userId"]
    elif params["to"] == "MANAGER":
        user_id = await manager_of(subject.owner_id)
    else:
        user_id = subject.owner_id
    user = await User.filter(id=user_id or 0, workspace_id=rule.workspace_id).first()
    if user is None:
        return N_("notified nobody (no such person for this record)")
    message = await render(params["message"], subject, rule)
    notification = await Notification.create(
        workspace_id=rule.workspace_id,
        user_id=user.id,
        message=message,
        contact_id=subject.contact.id if subject.contact else None,
        deal_id=subject.deal.id if subject.deal else None,
        rule_id=rule.id,
        run_id=run.id,
    )
    # A workspace-level event (no subject): it feeds the live `notifications` stream.
    await record_event(
        ctx.actor,
        rule.workspace_id,
        "notification.created",
        N_("Notification to {user}: {message}", user=user.name, message=message[:80]),
        data={"notificationId": notification.id, "userId": user.id},
    )
    return N_("notified {user}: {message}", user=user.name, message=message)
