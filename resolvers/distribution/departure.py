"""A departing user's place in distribution (deactivateUser): they leave
every queue, and their open leads go back, in the caller's transaction.

Open leads are the contacts they own that are not DISQUALIFIED or CUSTOMER,
the open deals they own, and the leads of their open ASSIGNED assignments.
QUEUES: a lead they hold through a routing queue is distributed through
that queue again (nobody eligible: it waits there, QUEUED, still showing
its previous owner until someone takes it); a lead that never went through
one goes to their manager. MANAGER: every lead goes to their manager, the
nearest active manager up their team tree, or the admin who deactivates
them when there is none. Each move is a `lead.returned` event on the lead's
timeline saying why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from revgraph.models.crm import Contact
from revgraph.models.distribution import Assignment, Queue, QueueMember
from revgraph.models.identity import Team, User
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Actor
from revgraph.resolvers.distribution.assign import assign_through_queue
from revgraph.resolvers.distribution.handoff import hand_over
from revgraph.resolvers.events import record_event
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.settings import Settings

DESTINATIONS = ("QUEUES", "MANAGER")
# Contacts in these lifecycle stages are no longer leads anyone works.
SETTLED_STAGES = ("DISQUALIFIED", "CUSTOMER")
MANAGING_ROLES = ("MANAGER", "ADMIN")

# Why someone left their queues (the `why` codes of leave_queues), as people read it.
LEAVING_REASONS = {"deactivated": N_("deactivated")}


@dataclass
class ReturnedLeads:
    """Where a departing user's open leads went."""

    manager: User
    # Distributed again through their queue: assigned, or waiting there.
    to_queues: int = 0
    to_manager: int = 0


async def leave_queues(actor: Actor, user: User, *, why: str) -> list[int]:
    """Take the user out of every queue they are a member of (each queue's
    timeline says so); the others keep their turn. Returns the queue ids."""
    rows = await QueueMember.filter(user_id=user.id, removed_at=None).values("id", "queue_id")
    if not rows:
        return []
    await QueueMember.filter(id__in=[r["id"] for r in rows]).update(removed_at=datetime.now(UTC))
    queues = {q.id: q for q in await Queue.filter(id__in=[r["queue_id"] for r in rows])}
    for row in rows:
        queue = queues[row["queue_id"]]
        await record_event(
            actor,
            queue.workspace_id,
            "queue.member_removed",
            N_(
                "Queue {queue}: {user} left ({why})",
                queue=queue.name,
                user=user.name,
                why=LEAVING_REASONS.get(why, why),
            ),
            data={"queueId": queue.id, "userId": user.id, "why": why},
            queue_id=queue.id,
        )
    return sorted(queues)


async def nearest_manager(user: User) -> User | None:
    """The manager of the user's team, or of the nearest team above it with
    one, skipping the user themselves and anyone deactivated or no longer
    MANAGER or ADMIN."""
    teams = {
        t["id"]: t
        for t in await Team.filter(workspace_id=user.workspace_id).values("id", "parent_id", "manager_id")
    }
    seen: set[int] = set()
    team_id = user.team_id
    while team_id is not None and team_id not in seen and team_id in teams:
        seen.add(team_id)
        manager_id = teams[team_id]["manager_id"]
        if manager_id is not None and manager_id != user.id:
            manager = await User.filter(
                id=manager_id, active=True, role__in=MANAGING_ROLES, workspace_id=user.workspace_id
            ).first()
            if manager is not None:
                return manager
        team_id = teams[team_id]["parent_id"]
    return None


@dataclass
class _Lead:
    contact_id: int
    deal: Deal | None
    # The departing user's open assignment of this lead, if any.
    assignment: Assignment | None


async def _open_leads(user: User) -> tuple[list[_Lead], list[Assignment]]:
    """The user's open leads, deals first, oldest first; and their open
    assignments of leads that are no longer theirs or no longer open."""
    assignments = await Assignment.filter(user_id=user.id, status="ASSIGNED", released_at=None).order_by("id")
    of_deal = {a.deal_id: a for a in assignments if a.deal_id is not None}
    of_contact = {a.contact_id: a for a in assignments if a.deal_id is None}
    deals = await Deal.filter(owner_id=user.id, status="OPEN", deleted_at=None).order_by("id")
    contacts = (
        await Contact.filter(owner_id=user.id, deleted_at=None, merged_into_id=None)
        .exclude(lifecycle_stage__in=SETTLED_STAGES)
        .order_by("id")
    )
    leads = [_Lead(d.contact_id, d, of_deal.pop(d.id, None)) for d in deals]
    leads += [_Lead(c.id, None, of_contact.pop(c.id, None)) for c in contacts]
    return leads, [*of_deal.values(), *of_contact.values()]


async def return_leads(
    settings: Settings, actor: Actor, user: User, *, destination: str, fallback: User
) -> ReturnedLeads:
    """Give back every open lead of a user who is leaving (see the module's
    docstring); `fallback` receives them when the user has no manager.
    Run after `leave_queues`, so the leaving user is never chosen again."""
    manager = await nearest_manager(user) or fallback
    returned = ReturnedLeads(manager)
    leads, stale = await _open_leads(user)
    now = datetime.now(UTC)
    if stale:
        # Leads someone else owns by now, or closed: only the hold ends.
        await Assignment.filter(id__in=[a.id for a in stale]).update(released_at=now)
    queues = {
        q.id: q
        for q in await Queue.filter(id__in={lead.assignment.queue_id for lead in leads if lead.assignment})
    }
    for lead in leads:
        if lead.assignment is not None:
            await Assignment.filter(id=lead.assignment.id).update(released_at=now)
        queue = queues.get(lead.assignment.queue_id) if lead.assignment else None
        if destination == "QUEUES" and queue is not None and _routes(queue):
            await _back_to_queue(settings, actor, user, lead, queue)
            returned.to_queues += 1
        else:
            await _to_manager(actor, user, lead, manager, routed=queue is not None)
            returned.to_manager += 1
    return returned


def _routes(queue: Queue) -> bool:
    """Whether leads may be distributed through the queue again (a MANUAL
    queue only records hand assignments; an archived one distributes nothing)."""
    return queue.archived_at is None and queue.kind == "ROUTING"


def _subject(lead: _Lead) -> dict[str, int | None]:
    if lead.deal is not None:
        return {"contact_id": lead.contact_id, "deal_id": lead.deal.id}
    return {"contact_id": lead.contact_id, "deal_id": None}


async def _back_to_queue(settings: Settings, actor: Actor, user: User, lead: _Lead, queue: Queue) -> None:
    await record_event(
        actor,
        queue.workspace_id,
        "lead.returned",
        N_("Lead back to queue {queue}: {user} was deactivated", queue=queue.name, user=user.name),
        data={
            "userId": user.id,
            "destination": "QUEUES",
            "queueId": queue.id,
            "reason": "user deactivated",
            "assignmentId": lead.assignment.id if lead.assignment else None,
        },
        **_subject(lead),
    )
    deal_id = lead.deal.id if lead.deal is not None else None
    await assign_through_queue(
        settings,
        actor,
        queue.id,
        contact_id=None if deal_id is not None else lead.contact_id,
        deal_id=deal_id,
    )


async def _to_manager(actor: Actor, user: User, lead: _Lead, manager: User, *, routed: bool) -> None:
    await record_event(
        actor,
        user.workspace_id,
        "lead.returned",
        N_("Lead handed to {manager}: {user} was deactivated", manager=manager.name, user=user.name),
        data={
            "userId": user.id,
            "destination": "MANAGER",
            # False: the lead never went through a routing queue.
            "throughQueue": routed,
            "toUserId": manager.id,
            "reason": "user deactivated",
            "assignmentId": lead.assignment.id if lead.assignment else None,
        },
        **_subject(lead),
    )
    record = lead.deal if lead.deal is not None else await Contact.get(id=lead.contact_id)
    await hand_over(
        actor,
        record,
        manager,
        reason=N_(
            "{user} was deactivated: handed to their manager {manager}.", user=user.name, manager=manager.name
        ),
    )
