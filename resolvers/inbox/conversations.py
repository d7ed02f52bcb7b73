"""A conversation's life: messages added to it, who works it (routing,
assignment, transfer, hand-off from a bot), and its status (resolve,
reopen, snooze, wake). Every change is one transaction with its stream
event (resolvers/inbox/stream.py) and its SLA facts (resolvers/inbox/sla.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from revgraph.models.identity import User
from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.i18n import N_, Moment, _, rendered
from revgraph.resolvers.i18n import Message as I18nMessage
from revgraph.resolvers.inbox import metrics, sla
from revgraph.resolvers.inbox.routing import choose_assignee, inbox_queue
from revgraph.resolvers.inbox.stream import Seen, record_inbox_event, seen_of
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.visibility import named_record

ACTIVITY_LABEL = "inbox"


async def user_name(user_id: int | None) -> str:
    if user_id is None:
        return "nobody"
    rows = await User.filter(id=user_id).values_list("name", flat=True)
    return rows[0] if rows else "a former user"


async def add_message(
    actor: Actor | None,
    conversation: Conversation,
    *,
    kind: str,
    body: str,
    at: datetime,
    direction: str | None = None,
    status: str | None = None,
    author_id: int | None = None,
    author_label: str | None = None,
    external_id: str | None = None,
    client_message_id: str | None = None,
    template: tuple[str, str, list[str]] | None = None,
    content_type: str = "text",
    attachments: list[dict[str, Any]] | None = None,
    channel_data: dict[str, Any] | None = None,
    summary: str,
) -> Message:
    """Store one message and its MESSAGE_CREATED event, and move the
    conversation's clocks: last message, the contact's wait and reply
    window, SLA facts and the metrics ledger (caller's transaction)."""
    message = await Message.create(
        workspace_id=conversation.workspace_id,
        inbox_id=conversation.inbox_id,
        conversation_id=conversation.id,
        direction=direction,
        kind=kind,
        body=body,
        template_name=template[0] if template else None,
        template_language=template[1] if template else None,
        variables=template[2] if template else None,
        author_id=author_id,
        author_label=author_label,
        status=status,
        external_id=external_id,
        client_message_id=client_message_id,
        content_type=content_type,
        attachments=attachments or None,
        channel_data=channel_data or None,
        at=at,
    )
    if kind in ("TEXT", "TEMPLATE"):
        if conversation.last_message_at is None or at >= conversation.last_message_at:
            conversation.last_message_at = at
    if direction == "INBOUND":
        if conversation.last_inbound_at is None or at > conversation.last_inbound_at:
            conversation.last_inbound_at = at
        if conversation.first_inbound_at is None:
            conversation.first_inbound_at = at
        if conversation.waiting_since is None:
            # Only what starts a wait moves the SLA clock.
            conversation.waiting_since = at
            sla.note(conversation, "inbound", at)
    elif direction == "OUTBOUND" and author_id is not None:
        # A person's reply ends the contact's wait (a bot's or an automation's does not).
        if conversation.waiting_since is not None:
            await metrics.wait_answered(conversation, at, author_id)
            conversation.waiting_since = None
            sla.note(conversation, "reply", at)
        if conversation.first_reply_at is None:
            conversation.first_reply_at = at
    clock_was_running = conversation.sla_state is not None
    state_changed = await sla.refresh(conversation)
    await conversation.save()
    await record_inbox_event(
        actor,
        conversation,
        "message.created",
        summary,
        before=await seen_of(conversation),
        data={"direction": direction, "messageKind": kind},
        message_id=message.id,
        actor_label=author_label,
    )
    if state_changed and clock_was_running:
        # (A clock that starts with this message is shown by its MESSAGE_CREATED.)
        await sla.record_change(actor, conversation)
    return message


async def activity(actor: Actor | None, conversation: Conversation, text: str | I18nMessage) -> Message:
    """An ACTIVITY line in the thread (who took it, why): history, never sent."""
    return await add_message(
        actor,
        conversation,
        kind="ACTIVITY",
        body=rendered(text),
        at=datetime.now(UTC),
        author_label=ACTIVITY_LABEL,
        summary=N_(
            "Conversation #{conversation_number}: {text}", conversation_number=conversation.number, text=text
        ),
    )


async def set_assignee(
    actor: Actor | None,
    conversation: Conversation,
    user_id: int | None,
    *,
    reason: str | I18nMessage,
    queue_id: int | None,
    actor_label: str | None = None,
) -> None:
    """Give the conversation to `user_id` (None: nobody) with its
    CONVERSATION_UPDATED event, then the ACTIVITY line saying why, which
    only those who see it afterwards receive (caller's transaction)."""
    before: Seen = await seen_of(conversation)
    previous = conversation.assignee_id
    conversation.assignee_id = user_id
    conversation.routed_by_queue_id = queue_id
    await conversation.save(update_fields=["assignee_id", "routed_by_queue_id", "updated_at"])
    to = await user_name(user_id)
    await record_inbox_event(
        actor,
        conversation,
        "conversation.assigned",
        N_(
            "Conversation #{conversation_number} assigned to {to}",
            conversation_number=conversation.number,
            to=to,
        ),
        before=before,
        data={
            "assigneeId": user_id,
            "previousAssigneeId": previous,
            "queueId": queue_id,
            "reason": rendered(reason),
        },
        actor_label=actor_label,
    )
    await activity(actor, conversation, reason)


async def route_conversation(
    settings: Settings,
    actor: Actor | None,
    conversation: Conversation,
    queue_id: int,
    *,
    label: str | None,
    excluded: dict[int, str | I18nMessage] | None = None,
    because: str | I18nMessage | None = None,
    unassign_if_nobody: bool = False,
) -> bool:
    """Route an existing conversation through a queue (caller's
    transaction). False when nobody can take it now: it stays where it is,
    or with `unassign_if_nobody` goes back to the queue's backlog."""
    user_id, reason = await choose_assignee(settings, queue_id, excluded=excluded)
    if because:
        reason = N_("{because} {reason}", because=because, reason=reason)
    if user_id is None:
        if unassign_if_nobody and conversation.assignee_id is not None:
            await set_assignee(actor, conversation, None, reason=reason, queue_id=queue_id, actor_label=label)
        return False
    await set_assignee(actor, conversation, user_id, reason=reason, queue_id=queue_id, actor_label=label)
    return True


async def visible_conversation(
    ctx: Context, raw_id: str | None, field: list[str], *, for_update: bool = True
) -> Conversation:
    """The conversation an input names, if the caller may see it (NOT_FOUND otherwise)."""
    return await named_record(ctx, Conversation, raw_id, field, for_update=for_update)


async def _status(
    ctx: Context, conversation: Conversation, status: str, summary: str, fact: str | None, **data: Any
) -> Conversation:
    before = await seen_of(conversation)
    previous = conversation.status
    conversation.status = status
    now = datetime.now(UTC)
    if fact is not None:
        sla.note(conversation, fact, now)
    await sla.refresh(conversation)
    await conversation.save()
    await record_inbox_event(
        ctx.actor,
        conversation,
        "conversation.status_changed",
        summary,
        before=before,
        data={"from": previous, "to": status, **data},
    )
    return conversation


async def resolve_conversation(ctx: Context, conversation_id: str) -> Conversation:
    """Resolve: the conversation leaves the open lists, its handle and
    resolution times enter the ledger, and a CSAT survey is offered."""
    ctx.require_actor()
    async with unit_of_work():
        conversation = await visible_conversation(ctx, conversation_id, ["id"])
        if conversation.status == "RESOLVED":
            raise DomainError("INVALID", _("This conversation is already resolved."), ["id"])
        now = datetime.now(UTC)
        conversation.resolved_at = now
        conversation.snoozed_until = None
        await metrics.resolved(conversation, now)
        await _status(
            ctx,
            conversation,
            "RESOLVED",
            N_(
                "{value} resolved conversation #{conversation_number}",
                value=await actor_name(ctx),
                conversation_number=conversation.number,
            ),
            "resolve",
        )
        await _offer_csat(ctx, conversation)
    return conversation


async def _offer_csat(ctx: Context, conversation: Conversation) -> None:
    from revgraph.resolvers.inbox import csat

    await csat.offer(ctx.settings, conversation)


async def reopen_conversation(ctx: Context, conversation_id: str) -> Conversation:
    """Reopen a RESOLVED conversation (DUPLICATE when the contact already
    has another unresolved one in the inbox); an assignee who is away
    (offline, deactivated) is replaced through the inbox's queue."""
    ctx.require_actor()
    async with unit_of_work():
        conversation = await visible_conversation(ctx, conversation_id, ["id"])
        if conversation.status != "RESOLVED":
            raise DomainError("INVALID", _("Only a resolved conversation can be reopened."), ["id"])
        other = await Conversation.filter(
            inbox_id=conversation.inbox_id, contact_id=conversation.contact_id, status__not="RESOLVED"
        ).exists()
        if other:
            raise DomainError(
                "DUPLICATE",
                _("The contact already has an open conversation in this inbox: continue that one."),
                ["id"],
            )
        conversation.resolved_at = None
        await _status(
            ctx,
            conversation,
            "OPEN",
            N_(
                "{value} reopened conversation #{conversation_number}",
                value=await actor_name(ctx),
                conversation_number=conversation.number,
            ),
            "reopen",
        )
        await reroute_if_away(ctx.settings, ctx.actor, conversation)
    return conversation


async def reroute_if_away(settings: Settings, actor: Actor | None, conversation: Conversation) -> None:
    """A conversation coming back (reopened, woken) to an assignee who is
    offline or deactivated goes through the inbox's queue again."""
    from revgraph.resolvers.inbox.routing import AWAY, assignee_is_away

    why = await assignee_is_away(settings, conversation.assignee_id)
    queue_id = await inbox_queue(conversation.inbox_id)
    if why is None or queue_id is None or conversation.assignee_id is None:
        return
    name = await user_name(conversation.assignee_id)
    await route_conversation(
        settings,
        actor,
        conversation,
        queue_id,
        label="rerouting",
        excluded={conversation.assignee_id: AWAY.get(why, why)},
        because=N_("Re-routed: {name} is {why}.", name=name, why=AWAY.get(why, why)),
        unassign_if_nobody=True,
    )


async def snooze_conversation(ctx: Context, conversation_id: str, until: datetime) -> Conversation:
    """Snooze until `until` (in the future, INVALID otherwise): out of the
    open lists, the resolution clock paused; it wakes by itself then, or
    when the contact writes."""
    ctx.require_actor()
    now = datetime.now(UTC)
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    if until <= now:
        raise DomainError("INVALID", _("A snooze must end in the future."), ["until"])
    async with unit_of_work():
        conversation = await visible_conversation(ctx, conversation_id, ["id"])
        if conversation.status == "RESOLVED":
            raise DomainError("INVALID", _("A resolved conversation cannot be snoozed."), ["id"])
        conversation.snoozed_until = until
        was_snoozed = conversation.status == "SNOOZED"
        await _status(
            ctx,
            conversation,
            "SNOOZED",
            N_(
                "{value} snoozed conversation #{conversation_number} until {until}",
                value=await actor_name(ctx),
                conversation_number=conversation.number,
                until=Moment(until),
            ),
            None if was_snoozed else "snooze",
            until=until.isoformat(),
        )
    return conversation


async def wake(actor: Actor | None, conversation: Conversation, why: str, settings: Settings) -> None:
    """End a snooze (its time came, or the contact wrote): OPEN again
    (caller's transaction, the conversation row locked)."""
    before = await seen_of(conversation)
    conversation.status = "OPEN"
    conversation.snoozed_until = None
    sla.note(conversation, "wake", datetime.now(UTC))
    await sla.refresh(conversation)
    await conversation.save()
    await record_inbox_event(
        actor,
        conversation,
        "conversation.status_changed",
        N_(
            "Conversation #{conversation_number} woke up ({why})",
            conversation_number=conversation.number,
            why=why,
        ),
        before=before,
        data={"from": "SNOOZED", "to": "OPEN", "why": why},
        actor_label="snooze" if actor is None else None,
    )
    await reroute_if_away(settings, actor, conversation)


async def wake_due(settings: Settings, now: datetime | None = None, *, limit: int = 500) -> int:
    """Wake the snoozed conversations whose time came, each in its own transaction."""
    now = now or datetime.now(UTC)
    ids = (
        await Conversation.filter(status="SNOOZED", snoozed_until__lte=now)
        .order_by("snoozed_until")
        .limit(limit)
        .values_list("id", flat=True)
    )
    woken = 0
    for conversation_id in ids:
        async with unit_of_work():
            conversation = (
                await Conversation.filter(id=conversation_id, status="SNOOZED", snoozed_until__lte=now)
                .select_for_update()
                .first()
            )
            if conversation is None:
                continue
            await wake(None, conversation, "snooze ended", settings)
            woken += 1
    return woken


async def inbox_of(conversation: Conversation) -> Inbox:
    return await Inbox.get(id=conversation.inbox_id)
