"""Hand-offs and loss: reassigning a lead and disqualifying it."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.models.crm import Contact
from revgraph.models.distribution import Assignment
from revgraph.models.identity import User
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.distribution.assign import release_leads
from revgraph.resolvers.distribution.queues import manual_queue
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Message, _, kept, rendered
from revgraph.resolvers.ownership import assignable_user
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record, scope_of


async def reassign(ctx: Context, *, user_id: str, contact_id: str | None, deal_id: str | None) -> Assignment:
    """Give a visible lead to a user inside the caller's scope. A manager
    reassigns within their teams; an agent may not hand their own lead to
    someone else (FORBIDDEN); anything outside the scope is NOT_FOUND."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    if (contact_id is None) == (deal_id is None):
        raise DomainError("INVALID", _("Give either a contact or a deal to reassign."), ["contactId"])
    model, raw, field = (
        (Deal, deal_id, "dealId") if deal_id is not None else (Contact, contact_id, "contactId")
    )
    record = await named_record(ctx, model, raw, [field])
    target = await User.get(id=await assignable_user(ctx, scope, user_id, ["userId"]))
    async with unit_of_work():
        return await hand_over(
            actor,
            record,
            target,
            reason=N_(
                "Reassigned by hand to {target} (previous owner id {owner}).",
                target=target.name,
                owner=record.owner_id,
            ),
        )


async def hand_over(
    actor: Actor | None, record: Contact | Deal, target: User, *, reason: str | Message
) -> Assignment:
    """Make `target` the owner of a contact or deal by hand (caller's
    transaction): its open assignment ends and a MANUAL-strategy one records
    the decision against the lead's last queue (or the workspace's MANUAL
    queue), with `reason`, on the lead's timeline."""
    now = datetime.now(UTC)
    is_deal = isinstance(record, Deal)
    subject = {"deal_id": record.id} if is_deal else {"contact_id": record.id}
    previous = record.owner_id
    await Assignment.filter(status="ASSIGNED", released_at=None, **subject).update(released_at=now)
    contact_pk = record.contact_id if is_deal else record.id
    assignment = await Assignment.create(
        workspace_id=record.workspace_id,
        queue_id=await _queue_of(record.workspace_id, subject),
        user_id=target.id,
        contact_id=contact_pk,
        deal_id=subject.get("deal_id"),
        status="ASSIGNED",
        assigned_at=now,
        previous_owner_id=previous,
        reason=kept(reason),
    )
    if is_deal:
        from revgraph.resolvers.deals import set_deal_owner

        await set_deal_owner(actor, record.id, target.id)
    else:
        await Contact.filter(id=record.id).update(owner_id=target.id, updated_at=now)
    await record_event(
        actor,
        record.workspace_id,
        "assignment.made",
        N_("Lead handed to {target}", target=target.name),
        data={
            "assignmentId": assignment.id,
            "userId": target.id,
            "previousOwnerId": previous,
            "strategy": "MANUAL",
            "reason": rendered(reason),
            "queueId": assignment.queue_id,
        },
        contact_id=contact_pk,
        deal_id=subject.get("deal_id"),
    )
    return assignment


async def _queue_of(workspace_id: int, subject: dict) -> int:
    """Manual reassignments are recorded against the lead's last queue, or
    the workspace's MANUAL queue when it never went through one."""
    last = await Assignment.filter(**subject).order_by("-id").first()
    return last.queue_id if last is not None else (await manual_queue(workspace_id)).id


async def disqualify(ctx: Context, *, contact_id: str, reason: str) -> Contact:
    """Disqualify a lead: the reason is required; the owner's capacity frees."""
    actor = ctx.require_actor()
    why = required_text(reason, ["reason"], max_length=500, what=_("Reason"), multiline=True)
    contact = await named_record(ctx, Contact, contact_id, ["contactId"])
    async with unit_of_work():
        previous = contact.lifecycle_stage
        contact.lifecycle_stage = "DISQUALIFIED"
        await contact.save(update_fields=["lifecycle_stage", "updated_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "lead.disqualified",
            N_("{contact} disqualified: {why}", contact=contact.name, why=why),
            data={"reason": why, "changes": {"lifecycleStage": {"from": previous, "to": "DISQUALIFIED"}}},
            contact_id=contact.id,
        )
        await release_leads(actor, actor.workspace_id, contact_id=contact.id, why="disqualified")
    return contact
