"""Routing conversations through the queues (roletas), exactly like leads:
the queue's strategy, mode (ONLINE/OFFLINE), members' capacity and the
backlog — with capacity counting the member's open conversations (not
RESOLVED) instead of their leads.

A conversation nobody can take now stays unassigned (the queue's backlog:
the inbox's unassigned OPEN conversations, oldest first) and is routed as
soon as someone can. When an assignee goes offline or is deactivated, or a
conversation reopens while its assignee is offline, it is routed again with
that person skipped (the reason says so)."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from revgraph.models.distribution import Queue, QueueMember
from revgraph.models.identity import User
from revgraph.models.inbox import Conversation, Inbox
from revgraph.resolvers.context import Actor
from revgraph.resolvers.distribution.assign import candidates, pointer_position, take_turn
from revgraph.resolvers.distribution.strategies import choose
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.i18n import N_, Message
from revgraph.resolvers.identity import is_online
from revgraph.resolvers.settings import Settings

OPEN_STATUSES = ("OPEN", "PENDING", "SNOOZED")


async def open_conversations(user_ids: list[int]) -> dict[int, int]:
    """Conversations (not RESOLVED) held by each user."""
    if not user_ids:
        return {}
    rows = (
        await Conversation.filter(assignee_id__in=user_ids, status__in=OPEN_STATUSES)
        .group_by("assignee_id")
        .annotate(n=Count("id"))
        .values("assignee_id", "n")
    )
    return {r["assignee_id"]: r["n"] for r in rows}


async def choose_assignee(
    settings: Settings, queue_id: int, *, excluded: dict[int, str | Message] | None = None
) -> tuple[int | None, Message]:
    """Take the queue's lock, let its strategy choose a member for one
    conversation and persist the strategy's turn (caller's transaction).
    (user id or None when nobody can take it now, the reason in words)."""
    queue = await Queue.filter(id=queue_id).select_for_update().get()
    choice = choose(
        queue.strategy,
        queue.mode,
        await candidates(settings, queue, excluded, open_conversations),
        await pointer_position(queue),
    )
    if choice.winner is None:
        return None, choice.reason
    await take_turn(queue, choice, datetime.now(UTC))
    return choice.winner.user_id, choice.reason


async def inbox_queue(inbox_id: int) -> int | None:
    """The inbox's live routing queue, if it has one."""
    rows = await Inbox.filter(id=inbox_id, queue__archived_at=None, queue__kind="ROUTING").values_list(
        "queue_id", flat=True
    )
    return rows[0] if rows else None


# Why an assignee is away (assignee_is_away), as people read it.
AWAY = {"offline": N_("offline"), "deactivated": N_("deactivated")}


async def assignee_is_away(settings: Settings, user_id: int | None) -> str | None:
    """Why an assignee cannot work a conversation now (offline, deactivated), or None."""
    if user_id is None:
        return None
    user = await User.filter(id=user_id).first()
    if user is None or not user.active:
        return "deactivated"
    if not is_online(settings, user):
        return "offline"
    return None


async def drain_conversations(settings: Settings, queue_id: int, *, limit: int = 500) -> int:
    """Route the queue's waiting conversations (unassigned, OPEN, and
    transferred to it, or of an inbox routed through it), oldest first, while someone can take them. Each is
    its own transaction, so a long backlog never holds the queue's lock."""
    from revgraph.resolvers.inbox.conversations import route_conversation

    routed = 0
    while routed < limit:
        async with unit_of_work():
            waiting = (
                await Conversation.filter(
                    Q(routed_by_queue_id=queue_id)
                    | Q(
                        routed_by_queue_id=None,
                        inbox_id__in=Subquery(Inbox.filter(queue_id=queue_id).values("id")),
                    ),
                    assignee_id=None,
                    status="OPEN",
                )
                .order_by("created_at", "id")
                .select_for_update()
                .first()
            )
            if waiting is None:
                return routed
            if not await route_conversation(settings, None, waiting, queue_id, label="backlog"):
                return routed
        routed += 1
    return routed


async def reroute_away(settings: Settings, user_id: int, why: str, actor: Actor | None = None) -> int:
    """Route again, each in its own transaction, the open conversations of
    an assignee who went away (`why`: "offline", "deactivated") through
    their inboxes' queues. Nobody can take one now: it waits in the queue's
    backlog. A deactivated assignee's conversations of inboxes without a
    queue are left unassigned for someone to take; an offline assignee keeps
    those (nobody else would be chosen for them)."""
    from revgraph.resolvers.inbox.conversations import route_conversation, set_assignee

    held = Conversation.filter(assignee_id=user_id, status__in=("OPEN", "PENDING", "SNOOZED"))
    if why != "deactivated":
        held = held.filter(status__in=("OPEN", "PENDING"), inbox__queue_id__isnull=False)
    ids = await held.values_list("id", flat=True)
    names = await User.filter(id=user_id).values_list("name", flat=True)
    because = N_(
        "Re-routed: {name} is {why}.", name=names[0] if names else N_("the assignee"), why=AWAY.get(why, why)
    )
    moved = 0
    for conversation_id in ids:
        async with unit_of_work():
            conversation = (
                await Conversation.filter(id=conversation_id, assignee_id=user_id, status__not="RESOLVED")
                .select_for_update()
                .first()
            )
            if conversation is None:
                continue
            queue_id = await inbox_queue(conversation.inbox_id)
            if queue_id is None or conversation.status == "SNOOZED":
                if why == "deactivated":
                    await set_assignee(
                        actor, conversation, None, reason=because, queue_id=None, actor_label="rerouting"
                    )
                    moved += 1
                continue
            if await route_conversation(
                settings,
                actor,
                conversation,
                queue_id,
                label="rerouting",
                excluded={user_id: AWAY.get(why, why)},
                because=because,
                unassign_if_nobody=True,
            ):
                moved += 1
    return moved


async def queues_to_drain(event: dict) -> list[int]:
    """Which queues' waiting conversations an event may unblock: a member
    came online or was added, or an assignee's load went down (a
    conversation resolved, snoozed or given to someone else)."""
    kind = event.get("kind")
    data = event.get("data") or {}
    if kind == "user.availability_changed" and data.get("online"):
        user_ids = [data.get("userId")]
    elif kind in ("queue.member_added", "queue.member_changed", "queue.created"):
        return [data["queueId"]] if data.get("queueId") else []
    elif kind == "conversation.status_changed" and data.get("to") in ("RESOLVED", "SNOOZED"):
        user_ids = [((data.get("seen") or [None, None])[1] or [None])[0]]
    elif kind == "conversation.assigned" and data.get("previousAssigneeId"):
        user_ids = [data["previousAssigneeId"]]
    else:
        return []
    queue_ids = await QueueMember.filter(user_id__in=[u for u in user_ids if u], removed_at=None).values_list(
        "queue_id", flat=True
    )
    if not queue_ids:
        return []
    waiting = await Conversation.filter(
        Q(routed_by_queue_id__in=list(set(queue_ids)))
        | Q(routed_by_queue_id=None, inbox__queue_id__in=list(set(queue_ids))),
        assignee_id=None,
        status="OPEN",
    ).values_list("routed_by_queue_id", "inbox__queue_id")
    return sorted({routed or inbox_queue_id for routed, inbox_queue_id in waiting} & set(queue_ids))


def away_user(event: dict) -> tuple[int, str] | None:
    """(user id, why) when an event says an assignee went away."""
    data = event.get("data") or {}
    if event.get("kind") == "user.availability_changed" and data.get("online") is False:
        return int(data["userId"]), "offline"
    if event.get("kind") == "user.deactivated" and data.get("userId"):
        return int(data["userId"]), "deactivated"
    return None
