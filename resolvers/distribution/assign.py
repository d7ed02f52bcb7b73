"""Assigning leads through a queue, and draining the backlog.

Every distribution takes the queue's row lock first (FOR UPDATE on
PostgreSQL; SQLite serialises writers), reads the members and their open
leads, lets the strategy choose, and persists the strategy state with the
assignment in the same transaction: N concurrent distributions on any
number of processes give exactly the shares of N sequential ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count

from revgraph.models.crm import Contact
from revgraph.models.distribution import Assignment, Queue, QueueMember
from revgraph.models.identity import User
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.distribution.strategies import Candidate, Choice, choose
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Message, _, kept, rendered
from revgraph.resolvers.identity import is_online
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.visibility import named_record

# Why leads were released (the `why` codes of release_leads), as people read it.
RELEASE_REASONS = {
    "trashed": N_("trashed"),
    "owner changed": N_("owner changed"),
    "disqualified": N_("disqualified"),
    "deal won": N_("deal won"),
    "deal lost": N_("deal lost"),
}


async def open_leads(user_ids: list[int]) -> dict[int, int]:
    """Assigned leads still holding each user's capacity."""
    if not user_ids:
        return {}
    rows = (
        await Assignment.filter(user_id__in=user_ids, status="ASSIGNED", released_at=None)
        .group_by("user_id")
        .annotate(n=Count("id"))
        .values("user_id", "n")
    )
    return {r["user_id"]: r["n"] for r in rows}


async def candidates(
    settings: Settings,
    queue: Queue,
    excluded: dict[int, str | Message] | None = None,
    count_load: Callable[[list[int]], Awaitable[dict[int, int]]] = open_leads,
) -> list[Candidate]:
    """The queue's members as the strategy sees them; `count_load` counts
    what holds each one's capacity (open leads, or open conversations)."""
    members = await QueueMember.filter(queue_id=queue.id, removed_at=None).order_by("position")
    users = {u.id: u for u in await User.filter(id__in=[m.user_id for m in members])}
    # Counting open leads grows with every lead held: only when a strategy
    # or a capacity needs it (bench/DISTRIBUTION.md).
    needs_loads = queue.strategy == "LEAST_LOADED" or any(m.capacity is not None for m in members)
    loads = await count_load(list(users)) if needs_loads else {}
    now = datetime.now(UTC)
    return [
        Candidate(
            member_id=m.id,
            user_id=m.user_id,
            name=users[m.user_id].name,
            position=m.position,
            weight=m.weight,
            capacity=m.capacity,
            active=m.active and users[m.user_id].active,
            online=is_online(settings, users[m.user_id], now=now),
            open_leads=loads.get(m.user_id, 0),
            current_weight=m.current_weight,
            last_assigned_at=m.last_assigned_at,
            excluded=(excluded or {}).get(m.user_id),
        )
        for m in members
    ]


async def pointer_position(queue: Queue) -> int | None:
    if queue.pointer_member_id is None:
        return None
    row = await QueueMember.filter(id=queue.pointer_member_id).values("position")
    return row[0]["position"] if row else None


async def take_turn(queue: Queue, choice: Choice, now: datetime) -> None:
    """Persist the strategy's state after `choice` gave the winner its turn
    (caller's transaction, under the queue's lock)."""
    assert choice.winner is not None
    if queue.strategy == "WEIGHTED":
        for member_id, weight in choice.weights.items():
            await QueueMember.filter(id=member_id).update(current_weight=weight)
    await QueueMember.filter(id=choice.winner.member_id).update(last_assigned_at=now)
    queue.pointer_member_id = choice.winner.member_id
    queue.assignments_made += 1
    await queue.save(update_fields=["pointer_member_id", "assignments_made"])


async def _give(actor: Actor | None, assignment: Assignment, user: User, label: str | None) -> None:
    """Make `user` the owner of the assignment's subject and release the
    subject's previous open assignment (the old owner's capacity frees)."""
    now = datetime.now(UTC)
    subject = {"deal_id": assignment.deal_id} if assignment.deal_id else {"contact_id": assignment.contact_id}
    await (
        Assignment.filter(status="ASSIGNED", released_at=None, **subject)
        .exclude(id=assignment.id)
        .update(released_at=now)
    )
    if assignment.deal_id:
        from revgraph.resolvers.deals import set_deal_owner

        await set_deal_owner(actor, assignment.deal_id, user.id, actor_label=label)
    else:
        await Contact.filter(id=assignment.contact_id).update(owner_id=user.id, updated_at=now)


async def assign_through_queue(
    settings: Settings,
    actor: Actor | None,
    queue_id: int,
    *,
    contact_id: int | None,
    deal_id: int | None,
    actor_label: str | None = None,
    waiting: Assignment | None = None,
    excluded: dict[int, str | Message] | None = None,
    because: str | Message | None = None,
    queue_if_nobody: bool = True,
) -> Assignment | None:
    """Choose a member and assign (or queue) the lead, in the caller's
    transaction. `waiting` is a QUEUED assignment being drained; `excluded`
    names members who may not take this lead and why; `because` says why
    the lead is being (re)distributed. With `queue_if_nobody` false, a lead
    nobody can take is left as it is (None)."""
    queue = await Queue.filter(id=queue_id).select_for_update().get()
    choice = choose(
        queue.strategy, queue.mode, await candidates(settings, queue, excluded), await pointer_position(queue)
    )
    if because:
        choice.reason = N_("{because} {reason}", because=because, reason=choice.reason)
    now = datetime.now(UTC)
    contact_id = (
        contact_id
        if contact_id is not None
        else (await Deal.filter(id=deal_id).values_list("contact_id", flat=True))[0]
    )
    previous_owner = await _current_owner(contact_id if deal_id is None else None, deal_id)
    if choice.winner is None:
        if waiting is not None:
            return waiting  # still nobody: keep waiting, unchanged
        if not queue_if_nobody:
            return None
        assignment = await Assignment.create(
            workspace_id=queue.workspace_id,
            queue_id=queue.id,
            contact_id=contact_id,
            deal_id=deal_id,
            status="QUEUED",
            reason=kept(choice.reason),
            previous_owner_id=previous_owner,
        )
        await record_event(
            actor,
            queue.workspace_id,
            "assignment.queued",
            N_("Lead waiting in {queue}: nobody eligible", queue=queue.name),
            data={"assignmentId": assignment.id, "queueId": queue.id, "reason": rendered(choice.reason)},
            contact_id=contact_id,
            deal_id=deal_id,
            actor_label=actor_label,
        )
        return assignment
    winner = choice.winner
    await take_turn(queue, choice, now)
    values = dict(
        status="ASSIGNED",
        user_id=winner.user_id,
        reason=kept(choice.reason),
        assigned_at=now,
        previous_owner_id=previous_owner,
    )
    if waiting is not None:
        await Assignment.filter(id=waiting.id).update(**values)
        assignment = await Assignment.get(id=waiting.id)
    else:
        assignment = await Assignment.create(
            workspace_id=queue.workspace_id,
            queue_id=queue.id,
            contact_id=contact_id,
            deal_id=deal_id,
            **values,
        )
    user = await User.get(id=winner.user_id)
    await _give(actor, assignment, user, actor_label)
    handoff = N_(" (hand-off)") if previous_owner and previous_owner != user.id else ""
    await record_event(
        actor,
        queue.workspace_id,
        "assignment.made",
        N_("Lead assigned to {user} by {queue}{handoff}", user=user.name, queue=queue.name, handoff=handoff),
        data={
            "assignmentId": assignment.id,
            "queueId": queue.id,
            "userId": user.id,
            "previousOwnerId": previous_owner,
            "strategy": queue.strategy,
            "reason": rendered(choice.reason),
            "fromBacklog": waiting is not None,
        },
        contact_id=contact_id,
        deal_id=deal_id,
        actor_label=actor_label,
    )
    return assignment


async def _current_owner(contact_id: int | None, deal_id: int | None) -> int | None:
    if deal_id is not None:
        rows = await Deal.filter(id=deal_id).values_list("owner_id", flat=True)
    else:
        rows = await Contact.filter(id=contact_id).values_list("owner_id", flat=True)
    return rows[0] if rows else None


async def distribute(
    ctx: Context, *, queue_id: str, contact_id: str | None, deal_id: str | None
) -> Assignment:
    """Assign a contact or a deal through a queue; a deal through another
    queue is the SDR → closer hand-off. Nobody eligible: the lead is QUEUED
    and assigned as soon as someone is."""
    actor = ctx.require_actor()
    if (contact_id is None) == (deal_id is None):
        raise DomainError(
            "INVALID", _("Give either a contact or a deal to distribute."), ["input", "contactId"]
        )
    queue = await named_record(ctx, Queue, queue_id, ["input", "queueId"])
    if deal_id is not None:
        deal = await named_record(ctx, Deal, deal_id, ["input", "dealId"])
        subject = {"contact_id": None, "deal_id": deal.id}
    else:
        contact = await named_record(ctx, Contact, contact_id, ["input", "contactId"])
        subject = {"contact_id": contact.id, "deal_id": None}
    async with unit_of_work():
        return await assign_through_queue(ctx.settings, actor, queue.id, **subject)


async def drain_backlog(settings: Settings, queue_id: int, *, limit: int = 500) -> int:
    """Assign waiting leads of a queue, oldest first, while someone is
    eligible. Each lead is its own transaction, so a long backlog never
    holds the queue's lock for long."""
    drained = 0
    while drained < limit:
        async with unit_of_work():
            waiting = await Assignment.filter(queue_id=queue_id, status="QUEUED").order_by("id").first()
            if waiting is None:
                return drained
            result = await assign_through_queue(
                settings,
                None,
                queue_id,
                contact_id=waiting.contact_id if waiting.deal_id is None else None,
                deal_id=waiting.deal_id,
                actor_label="backlog",
                waiting=waiting,
            )
            if result.status == "QUEUED":
                return drained
        drained += 1
    return drained


async def queues_to_drain(event: dict) -> list[int]:
    """Which queues an event may unblock: a member came online, was added or
    activated, or freed capacity (a lead released)."""
    kind = event.get("kind")
    data = event.get("data") or {}
    if kind == "user.availability_changed" and data.get("online"):
        user_ids = [data.get("userId")]
    elif kind in ("queue.member_added", "queue.member_changed", "queue.created"):
        return [data["queueId"]] if data.get("queueId") else []
    elif kind in ("assignment.released",):
        user_ids = data.get("userIds") or []
    elif kind == "assignment.made" and data.get("previousOwnerId"):
        user_ids = [data["previousOwnerId"]]
    else:
        return []
    rows = await QueueMember.filter(user_id__in=[u for u in user_ids if u], removed_at=None).values_list(
        "queue_id", flat=True
    )
    queued = await Assignment.filter(queue_id__in=list(set(rows)), status="QUEUED").values_list(
        "queue_id", flat=True
    )
    return sorted(set(queued))


async def release_leads(
    actor: Actor | None,
    workspace_id: int,
    *,
    contact_id: int | None = None,
    deal_id: int | None = None,
    why: str,
) -> None:
    """End the open assignments of a lead (disqualified, deal closed,
    trashed): the owners' capacity frees and their queues' backlogs drain."""
    subject = {"deal_id": deal_id} if deal_id is not None else {"contact_id": contact_id}
    rows = await Assignment.filter(status="ASSIGNED", released_at=None, **subject).values("id", "user_id")
    if not rows:
        return
    await Assignment.filter(id__in=[r["id"] for r in rows]).update(released_at=datetime.now(UTC))
    await record_event(
        actor,
        workspace_id,
        "assignment.released",
        N_("Lead released ({why})", why=RELEASE_REASONS.get(why, why)),
        data={
            "assignmentIds": [r["id"] for r in rows],
            "userIds": sorted({r["user_id"] for r in rows}),
            "why": why,
        },
        contact_id=contact_id,
        deal_id=deal_id,
    )


async def record_first_contact(
    actor: Actor | None, *, contact_id: int | None, deal_id: int | None, at: datetime
) -> None:
    """The owner's first work on a lead since it was assigned to them (a
    note, a completed task, an outbound message, a stage move) marks their
    open assignment of it worked at `at` (caller's transaction). Work by
    automations or by anyone else leaves it unworked."""
    if actor is None or actor.user_id is None or (contact_id is None and deal_id is None):
        return
    lead = Q(contact_id=contact_id) if contact_id is not None else Q(deal_id=deal_id)
    if contact_id is not None and deal_id is not None:
        lead |= Q(deal_id=deal_id)
    await Assignment.filter(
        lead, user_id=actor.user_id, status="ASSIGNED", released_at=None, worked_at=None
    ).update(worked_at=at)


async def redistribute_unattended(
    settings: Settings, now: datetime | None = None, *, limit: int = 200
) -> int:
    """Leads nobody worked (no first contact) within their queue's
    `redistribute_after_minutes` of being assigned go to the next member, the
    one who let them wait skipped, each in its own transaction; the reason
    says so. When nobody else can take one now it stays where it is and is
    tried again on the next scan. Wall-clock minutes until the workspace has
    business hours."""
    now = now or datetime.now(UTC)
    moved = 0
    queues = await Queue.filter(kind="ROUTING", archived_at=None, redistribute_after_minutes__isnull=False)
    for queue in queues:
        minutes = queue.redistribute_after_minutes
        stale = (
            await Assignment.filter(
                queue_id=queue.id,
                status="ASSIGNED",
                released_at=None,
                worked_at=None,
                assigned_at__lte=now - timedelta(minutes=minutes),
            )
            .order_by("assigned_at", "id")
            .limit(limit)
            .values_list("id", flat=True)
        )
        for assignment_id in stale:
            async with unit_of_work():
                # Taken again under the queue's lock: worked or moved meanwhile, it stays.
                await Queue.filter(id=queue.id).select_for_update().first()
                current = await Assignment.filter(
                    id=assignment_id, status="ASSIGNED", released_at=None, worked_at=None
                ).first()
                if current is None or current.user_id is None:
                    continue
                owner = await User.filter(id=current.user_id).values_list("name", flat=True)
                why = N_("no first contact within {minutes} min", minutes=minutes)
                result = await assign_through_queue(
                    settings,
                    None,
                    queue.id,
                    contact_id=current.contact_id if current.deal_id is None else None,
                    deal_id=current.deal_id,
                    actor_label="redistribution",
                    excluded={current.user_id: N_("let it wait: {why}", why=why)},
                    because=N_(
                        "Redistributed: {owner} made {why}.",
                        owner=owner[0] if owner else N_("the owner"),
                        why=why,
                    ),
                    queue_if_nobody=False,
                )
                if result is not None:
                    moved += 1
    return moved
