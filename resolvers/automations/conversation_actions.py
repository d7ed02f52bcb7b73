"""The conversation actions of automations: what a rule may say about the
conversation of an inbox trigger (checked when the rule is saved) and
what it does, through the inbox's own use cases (resolvers/inbox/) as the
rule's system actor, so the inbox's rules, stream events and SLA clock
apply to automations too. Each action reads the conversation locked, in
the run step's transaction, and says what it did."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from revgraph.models.distribution import Queue
from revgraph.models.identity import User
from revgraph.models.inbox import CannedResponse, Conversation, Inbox
from revgraph.resolvers.automations.not_applicable import NotApplicable
from revgraph.resolvers.consent import require_consent
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, Message, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import conversations, handling
from revgraph.resolvers.inbox.intake import can_reply, check_body
from revgraph.resolvers.validation import normalize_tags, optional_text
from revgraph.resolvers.visibility import named_record

if TYPE_CHECKING:
    from revgraph.models.automation import AutomationRule
    from revgraph.resolvers.automations.subjects import Subject

CONVERSATION_ACTIONS = (
    "assignConversation",
    "transferConversation",
    "resolveConversation",
    "sendCannedResponse",
    "setConversationPriority",
    "addConversationTag",
)
PRIORITIES = ("LOW", "MEDIUM", "HIGH", "URGENT")


async def _target(ctx: Context, raw: dict[str, Any], field: list[str], verb: str) -> dict[str, Any]:
    """Exactly one of userId / queueId, a record the rule's author may see."""
    user_id, queue_id = raw.get("user_id"), raw.get("queue_id")
    if (user_id is None) == (queue_id is None):
        raise DomainError(
            "INVALID",
            _("{verb} to a user or through a queue: give exactly one.", verb=verb),
            [*field, "userId"],
        )
    if user_id is not None:
        return {"userId": (await named_record(ctx, User, user_id, [*field, "userId"])).id, "queueId": None}
    return {"userId": None, "queueId": (await named_record(ctx, Queue, queue_id, [*field, "queueId"])).id}


def short_code(value: Any) -> str:
    """A canned response's shortCode as stored: without the "/" people type, lower-case."""
    return (value.strip() if isinstance(value, str) else "").removeprefix("/").lower()


async def conversation_params(ctx: Context, action_type: str, raw: Any, field: list[str]) -> dict[str, Any]:
    """The stored settings of a conversation action (ids as primary keys)."""
    if action_type == "assignConversation":
        return await _target(ctx, raw, field, N_("Assign"))
    if action_type == "transferConversation":
        target = await _target(ctx, raw, field, N_("Transfer"))
        reason = optional_text(raw.get("reason"), [*field, "reason"], max_length=500, what=_("Reason"))
        return {**target, "reason": reason}
    if action_type == "resolveConversation":
        if raw is not True:
            raise DomainError("INVALID", _("Send resolveConversation: true."), field)
        return {}
    if action_type == "sendCannedResponse":
        code = short_code(raw.get("short_code"))
        workspace_id = ctx.require_actor().workspace_id
        if not code or not await CannedResponse.filter(workspace_id=workspace_id, short_code=code).exists():
            raise DomainError("NOT_FOUND", _("No canned response has this shortCode."), [*field, "shortCode"])
        return {"shortCode": code}
    if action_type == "setConversationPriority":
        if raw.get("priority") not in PRIORITIES:
            raise DomainError(
                "INVALID", _("priority is one of {items}.", items=", ".join(PRIORITIES)), [*field, "priority"]
            )
        return {"priority": raw["priority"]}
    # addConversationTag
    return {"tag": normalize_tags([raw.get("tag") or ""], [*field, "tag"], ctx.settings.limits)[0]}


async def _locked(ctx: Context, subject: Subject) -> tuple[Conversation, str]:
    if subject.conversation is None:
        raise NotApplicable(_("The event has no conversation to act on."))
    gid = encode_id("Conversation", subject.conversation.id)
    return await conversations.visible_conversation(ctx, gid, ["conversationId"]), gid


async def perform_on_conversation(
    ctx: Context, rule: AutomationRule, action_type: str, params: dict[str, Any], subject: Subject
) -> str:
    """Do one conversation action (the caller's transaction) and say what was done."""
    conversation, gid = await _locked(ctx, subject)
    number = N_("conversation #{number}", number=conversation.number)
    if action_type == "assignConversation":
        return await _assign(ctx, conversation, gid, params, number)
    if action_type == "transferConversation":
        await handling.transfer_conversation(
            ctx,
            {
                "conversation_id": gid,
                "user_id": encode_id("User", params["userId"]) if params["userId"] else None,
                "queue_id": encode_id("Queue", params["queueId"]) if params["queueId"] else None,
                "reason": params.get("reason"),
            },
        )
        to = await _target_name(params)
        if params.get("reason"):
            return N_(
                "transferred {number} to {to} ({reason})", number=number, to=to, reason=params["reason"]
            )
        return N_("transferred {number} to {to}", number=number, to=to)
    if action_type == "resolveConversation":
        if conversation.status == "RESOLVED":
            return N_("left {number} resolved (already)", number=number)
        await conversations.resolve_conversation(ctx, gid)
        return N_("resolved {number}", number=number)
    if action_type == "sendCannedResponse":
        return await _send_canned(ctx, rule, conversation, params["shortCode"], number)
    if action_type == "setConversationPriority":
        if conversation.priority == params["priority"]:
            return N_(
                "left {number} at priority {priority} (already)", number=number, priority=params["priority"]
            )
        await handling.update_conversation(ctx, gid, {"priority": params["priority"]})
        return N_("set the priority of {number} to {priority}", number=number, priority=params["priority"])
    if action_type == "addConversationTag":
        tags = list(conversation.tags or [])
        if params["tag"] in tags:
            return N_("left tag {tag} on {number} (already there)", tag=params["tag"], number=number)
        await handling.update_conversation(ctx, gid, {"tags": [*tags, params["tag"]]})
        return N_("added tag {tag} to {number}", tag=params["tag"], number=number)
    raise DomainError("INVALID", _("Unknown action {action_type!r}.", action_type=action_type))


async def _target_name(params: dict[str, Any]) -> str | Message:
    if params.get("userId"):
        return await conversations.user_name(params["userId"])
    names = await Queue.filter(id=params["queueId"]).values_list("name", flat=True)
    return N_("queue {queue}", queue=names[0] if names else "?")


async def _assign(
    ctx: Context, conversation: Conversation, gid: str, params: dict[str, Any], number: str
) -> str:
    """To a user (as assignConversation), or through a queue: its strategy
    chooses; when nobody can take it now, an unassigned conversation waits
    in that queue's backlog and an assigned one stays with its assignee."""
    if params["userId"] is not None:
        name = await conversations.user_name(params["userId"])
        if conversation.assignee_id == params["userId"]:
            return N_("left {number} with {name} (already assigned)", number=number, name=name)
        await handling.assign_conversation(ctx, gid, encode_id("User", params["userId"]))
        return N_("assigned {number} to {name}", number=number, name=name)
    if conversation.status == "RESOLVED":
        raise DomainError(
            "RULE_VIOLATION",
            _("Conversation #{number} is resolved: it is not routed again.", number=conversation.number),
        )
    queue = await Queue.get(id=params["queueId"])
    label = ctx.require_actor().label or "An automation"
    routed = await conversations.route_conversation(
        ctx.settings,
        ctx.actor,
        conversation,
        queue.id,
        label=None,
        because=_("Assigned through {queue} by {rule}.", queue=queue.name, rule=label),
    )
    if routed:
        return N_(
            "assigned {number} through {queue} to {value}",
            number=number,
            queue=queue.name,
            value=await conversations.user_name(conversation.assignee_id),
        )
    if conversation.assignee_id is None:
        text = _(
            "Assigned through {queue} by {rule}; waiting for someone available.", queue=queue.name, rule=label
        )
        await conversations.set_assignee(ctx.actor, conversation, None, reason=text, queue_id=queue.id)
        return N_("left {number} waiting in {queue} (nobody available now)", number=number, queue=queue.name)
    name = await conversations.user_name(conversation.assignee_id)
    return N_(
        "left {number} with {name}: nobody in {queue} can take it now",
        number=number,
        name=name,
        queue=queue.name,
    )


async def _send_canned(
    ctx: Context, rule: AutomationRule, conversation: Conversation, code: str, number: str
) -> str:
    """An OUTBOUND TEXT with the canned response's body, inside the reply
    window only (WINDOW_CLOSED otherwise, nothing sent) and only to a
    contact who has not opted out of the channel (NO_CONSENT). A bot's message:
    no author, so it ends no wait and is no first response."""
    canned = await CannedResponse.filter(workspace_id=conversation.workspace_id, short_code=code).first()
    if canned is None:
        raise DomainError("NOT_FOUND", _("The canned response /{code} no longer exists.", code=code))
    inbox = await Inbox.get(id=conversation.inbox_id)
    now = datetime.now(UTC)
    if not can_reply(inbox, conversation, now):
        raise DomainError(
            "WINDOW_CLOSED",
            _(
                "The reply window of {number} is closed ({inbox_reply_window_hours} h after the contact's last message): the canned response /{code} was not sent; only a template may go now.",
                number=number,
                inbox_reply_window_hours=inbox.reply_window_hours,
                code=code,
            ),
        )
    body = check_body(inbox.channel, canned.body, ["shortCode"])
    await require_consent(conversation.contact_id, inbox.channel, ["shortCode"])
    await conversations.add_message(
        ctx.actor,
        conversation,
        kind="TEXT",
        direction="OUTBOUND",
        status="QUEUED",
        body=body,
        at=now,
        author_id=None,
        author_label=f"automation:{rule.name}"[:200],
        summary=N_(
            "{rule} sent /{code} in {number}",
            rule=ctx.require_actor().label,
            code=code,
            number=number,
        ),
    )
    return N_("sent the canned response /{code} in {number}", code=code, number=number)
