""" "Atender pendentes": which lead an agent should attend now."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q, Subquery

from revgraph.models.crm import Contact, Task
from revgraph.models.distribution import Assignment
from revgraph.models.events import Event
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Context
from revgraph.resolvers.inbox.queries import last_replies

# Events that mean the owner worked the lead.
# (Messages of the inbox count too: resolvers/inbox/queries.last_replies.)
WORK_KINDS = ("note.added", "task.completed")
CANDIDATES = 200


async def next_pending(ctx: Context, now: datetime | None = None) -> Contact | None:
    """First the overdue scheduled returns (open tasks of mine due ≤ now,
    earliest first), then leads assigned to me and not worked since
    (no note, completed task or message), oldest assignment first. A lead
    whose next open task is still in the future waits until it is due.
    A lead is mine when I own its contact or an open deal of it was handed
    to me (the SDR -> closer hand-off)."""
    actor = ctx.require_actor()
    now = now or datetime.now(UTC)
    my_deals = Deal.filter(
        workspace_id=actor.workspace_id, owner_id=actor.user_id, status="OPEN", deleted_at=None
    )
    my_contact = Q(contact__owner_id=actor.user_id) | Q(
        contact_id__in=Subquery(my_deals.values("contact_id"))
    )
    overdue = (
        await Task.filter(
            workspace_id=actor.workspace_id,
            assignee_id=actor.user_id,
            done=False,
            due_at__lte=now,
            contact_id__isnull=False,
            contact__deleted_at__isnull=True,
        )
        .filter(my_contact)
        .order_by("due_at", "id")
        .first()
    )
    if overdue is not None:
        return await Contact.get(id=overdue.contact_id)
    assignments = (
        await Assignment.filter(
            workspace_id=actor.workspace_id,
            user_id=actor.user_id,
            status="ASSIGNED",
            released_at=None,
            contact_id__isnull=False,
            contact__deleted_at__isnull=True,
        )
        .filter(
            Q(deal_id__isnull=True, contact__owner_id=actor.user_id)
            | Q(deal_id__in=Subquery(my_deals.values("id")))
        )
        .order_by("assigned_at", "id")
        .limit(CANDIDATES)
    )
    if not assignments:
        return None
    contact_ids = list({a.contact_id for a in assignments})
    since = min(a.assigned_at for a in assignments)
    work = await Event.filter(contact_id__in=contact_ids, kind__in=WORK_KINDS, at__gte=since).values(
        "contact_id", "at"
    )
    last_work: dict[int, datetime] = {}
    exchanges = await last_replies(contact_ids, since)
    for contact_id, at in [(row["contact_id"], row["at"]) for row in work] + list(exchanges.items()):
        if at > last_work.get(contact_id, since.replace(year=1)):
            last_work[contact_id] = at
    waiting = set(
        await Task.filter(contact_id__in=contact_ids, done=False, due_at__gt=now).values_list(
            "contact_id", flat=True
        )
    )
    for assignment in assignments:
        worked = last_work.get(assignment.contact_id)
        if worked is not None and worked >= assignment.assigned_at:
            continue
        if assignment.contact_id in waiting:
            continue
        return await Contact.get(id=assignment.contact_id)
    return None
