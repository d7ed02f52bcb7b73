"""Who works a conversation, changed by people: assign (the hierarchy's
rules, as for any record), transfer (to a colleague or back through a
queue, with the reason in the thread), hand-off from a bot, and the
conversation's own fields (priority, tags, linked deal)."""

from __future__ import annotations

from typing import Any

from revgraph.models.chatbot import BotSession
from revgraph.models.distribution import Queue
from revgraph.models.identity import User
from revgraph.models.inbox import Conversation, ConversationTag
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.inbox.conversations import (
    route_conversation,
    set_assignee,
    user_name,
    visible_conversation,
)
from revgraph.resolvers.inbox.routing import inbox_queue
from revgraph.resolvers.inbox.stream import record_inbox_event, seen_of
from revgraph.resolvers.ownership import actor_name, assignable_user
from revgraph.resolvers.validation import normalize_tags, optional_text
from revgraph.resolvers.visibility import named_record, scope_of

PRIORITY_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2, "URGENT": 3}


async def assign_conversation(ctx: Context, conversation_id: str, user_id: str | None) -> Conversation:
    """Assign to a user (null: unassign), by the same rules as any record's
    owner: an agent takes a conversation for themselves, a manager gives it
    within their scope, an admin to anyone active."""
    scope = await scope_of(ctx)
    name = await actor_name(ctx)
    async with unit_of_work():
        # The conversation first: one the caller cannot see is NOT_FOUND
        # whoever they name.
        conversation = await visible_conversation(ctx, conversation_id, ["id"])
        pk = await assignable_user(ctx, scope, user_id, ["userId"])
        await _check_active(pk, ["userId"])
        if conversation.assignee_id == pk:
            return conversation
        text = (
            _("Assigned to {user} by {actor}.", user=await user_name(pk), actor=name)
            if pk
            else _("Unassigned by {actor}.", actor=name)
        )
        await set_assignee(ctx.actor, conversation, pk, reason=text, queue_id=None)
    return conversation


async def _check_active(user_id: int | None, field: list[str]) -> None:
    if user_id is not None and not await User.filter(id=user_id, active=True).exists():
        raise DomainError("INVALID", _("This user is deactivated: choose someone active."), field)


async def transfer_conversation(ctx: Context, values: dict[str, Any]) -> Conversation:
    """Transfer to a colleague (anyone active in the workspace) or back
    through a queue (its strategy chooses; nobody available: it waits in
    that queue's backlog), keeping the whole history; the reason is written
    in the thread."""
    ctx.require_actor()
    raw_user, raw_queue = values.get("user_id"), values.get("queue_id")
    if (raw_user is None) == (raw_queue is None):
        raise DomainError(
            "INVALID", _("Transfer to a user or to a queue: give exactly one."), ["input", "userId"]
        )
    reason = optional_text(values.get("reason"), ["input", "reason"], max_length=500, what=_("Reason"))
    name = await actor_name(ctx)
    why = N_(" Reason: {reason}", reason=reason) if reason else ""
    async with unit_of_work():
        conversation = await visible_conversation(
            ctx, values.get("conversation_id"), ["input", "conversationId"]
        )
        if conversation.status == "RESOLVED":
            raise DomainError(
                "INVALID",
                _("A resolved conversation cannot be transferred: reopen it first."),
                ["input", "conversationId"],
            )
        if raw_user is not None:
            user = await named_record(ctx, User, raw_user, ["input", "userId"])
            await _check_active(user.id, ["input", "userId"])
            text = (
                _(
                    "Transferred to {target} by {actor}. Reason: {reason}",
                    target=user.name,
                    actor=name,
                    reason=reason,
                )
                if reason
                else _("Transferred to {target} by {actor}.", target=user.name, actor=name)
            )
            await set_assignee(ctx.actor, conversation, user.id, reason=text, queue_id=None)
            return conversation
        queue = await named_record(ctx, Queue, raw_queue, ["input", "queueId"])
        routed = await route_conversation(
            ctx.settings,
            ctx.actor,
            conversation,
            queue.id,
            label=None,
            excluded={conversation.assignee_id: N_("transferred it")} if conversation.assignee_id else None,
            because=N_("Transferred to {queue} by {name}.{why}", queue=queue.name, name=name, why=why),
        )
        if not routed:
            # Nobody can take it now: it waits in that queue's backlog.
            text = (
                _(
                    "Transferred to {target} by {actor}; waiting for someone available. Reason: {reason}",
                    target=queue.name,
                    actor=name,
                    reason=reason,
                )
                if reason
                else _(
                    "Transferred to {target} by {actor}; waiting for someone available.",
                    target=queue.name,
                    actor=name,
                )
            )
            await set_assignee(ctx.actor, conversation, None, reason=text, queue_id=queue.id)
    return conversation


async def hand_off_to_human(
    ctx: Context, conversation_id: str, reason: str | None, *, queue_id: int | None = None
) -> Conversation:
    """A bot's conversation (PENDING) goes to people: OPEN, routed through
    the inbox's queue, or `queue_id` (a flow's hand-off node; nobody free:
    it waits in that queue's backlog), or left for someone to take when
    there is none. The bot stops there (its state says HANDED_OFF)."""
    ctx.require_actor()
    reason = optional_text(reason, ["reason"], max_length=500, what=_("Reason"))
    async with unit_of_work():
        conversation = await visible_conversation(ctx, conversation_id, ["id"])
        if conversation.status != "PENDING":
            raise DomainError("INVALID", _("Only a conversation with a bot (PENDING) is handed off."), ["id"])
        before = await seen_of(conversation)
        conversation.status = "OPEN"
        await conversation.save(update_fields=["status", "updated_at"])
        await record_inbox_event(
            ctx.actor,
            conversation,
            "conversation.status_changed",
            N_(
                "Conversation #{number} handed off to a person: {reason}",
                number=conversation.number,
                reason=reason,
            )
            if reason
            else N_("Conversation #{number} handed off to a person", number=conversation.number),
            before=before,
            data={"from": "PENDING", "to": "OPEN", "reason": reason},
        )
        await BotSession.filter(conversation_id=conversation.id, status="WAITING").update(
            status="HANDED_OFF", handoff_reason=reason
        )
        inbox_queue_id = await inbox_queue(conversation.inbox_id)
        route_through = queue_id or inbox_queue_id
        if route_through is not None and conversation.assignee_id is None:
            routed = await route_conversation(
                ctx.settings,
                ctx.actor,
                conversation,
                route_through,
                label="hand-off",
                because=(
                    N_("Handed off by the bot ({reason}).", reason=reason)
                    if reason
                    else N_("Handed off by the bot.")
                ),
            )
            if not routed and route_through != inbox_queue_id:
                await set_assignee(
                    ctx.actor,
                    conversation,
                    None,
                    reason="Handed off by the bot; waiting in its queue for someone available.",
                    queue_id=route_through,
                    actor_label="hand-off",
                )
    return conversation


async def set_tags(conversation: Conversation, tags: list[str]) -> None:
    """The conversation's tags, in its list and as rows (caller's transaction)."""
    conversation.tags = tags
    await ConversationTag.filter(conversation_id=conversation.id).delete()
    if tags:
        await ConversationTag.bulk_create(
            [ConversationTag(conversation_id=conversation.id, tag=tag) for tag in tags]
        )


async def update_conversation(ctx: Context, conversation_id: str, values: dict[str, Any]) -> Conversation:
    """Change priority, tags (replaced whole) or the linked deal (a deal the
    caller sees, of the conversation's contact; null unlinks)."""
    ctx.require_actor()
    limits = ctx.settings.limits
    tags = (
        normalize_tags(values["tags"], ["input", "tags"], limits) if values.get("tags") is not None else None
    )
    name = await actor_name(ctx)
    async with unit_of_work():
        conversation = await visible_conversation(ctx, conversation_id, ["id"])
        changed: dict[str, Any] = {}
        if values.get("priority") is not None and values["priority"] != conversation.priority:
            conversation.priority = values["priority"]
            conversation.priority_rank = PRIORITY_RANK[values["priority"]]
            changed["priority"] = values["priority"]
        if tags is not None and tags != conversation.tags:
            await set_tags(conversation, tags)
            changed["tags"] = tags
        if "deal_id" in values:
            deal_pk = None
            if values["deal_id"] is not None:
                deal = await named_record(ctx, Deal, values["deal_id"], ["input", "dealId"])
                if deal.contact_id != conversation.contact_id:
                    raise DomainError(
                        "INVALID", _("Link a deal of the conversation's contact."), ["input", "dealId"]
                    )
                deal_pk = deal.id
            if deal_pk != conversation.deal_id:
                conversation.deal_id = deal_pk
                changed["dealId"] = deal_pk
        if not changed:
            return conversation
        await conversation.save()
        await record_inbox_event(
            ctx.actor,
            conversation,
            "conversation.updated",
            N_(
                "{name} changed conversation #{conversation_number} ({items})",
                name=name,
                conversation_number=conversation.number,
                items=", ".join(changed),
            ),
            before=await seen_of(conversation),
            data={"changes": changed},
        )
    return conversation
