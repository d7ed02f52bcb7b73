"""Oferta ativa (seed 002): a manager hands a saved contact list to a queue
and every contact in it is distributed like a single lead (same strategy,
mode, capacity and backlog), in one background job with its progress.

The contacts are those the requester may see in the segment when the job
starts, fixed then, so the total is exact and the job can resume. Each
contact is its own transaction, which also advances the job's `processed`
index: a job redelivered after a crash goes on from there and assigns no
one twice. A contact already waiting or assigned in that queue is skipped."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from revgraph.models.crm import Contact, Segment
from revgraph.models.distribution import Assignment, BulkDistribution, Queue
from revgraph.models.identity import User
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.distribution.assign import assign_through_queue
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _, nN_
from revgraph.resolvers.segments import segment_members
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.visibility import named_record

log = logging.getLogger(__name__)
STARTED = "bulk_distribution.started"
STALLED_AFTER = timedelta(minutes=2)


async def start_bulk_distribution(ctx: Context, *, segment_id: str, queue_id: str) -> BulkDistribution:
    """A manager or admin distributes the contacts of a segment they see
    through a routing queue; the job runs after commit (RUNNING, then DONE)."""
    actor = ctx.require_manager()
    segment = await named_record(ctx, Segment, segment_id, ["segmentId"])
    queue = await named_record(ctx, Queue, queue_id, ["queueId"])
    limit = ctx.settings.limits.max_bulk_contacts
    ids = list(
        await (await segment_members(ctx, segment))
        .order_by("id")
        .limit(limit + 1)
        .values_list("id", flat=True)
    )
    if len(ids) > limit:
        raise DomainError(
            "LIMIT_EXCEEDED",
            _(
                "{segment} holds more than {limit} contacts you may see: narrow its filter or split it.",
                segment=segment.name,
                limit=limit,
            ),
            ["segmentId"],
        )
    async with unit_of_work():
        job = await BulkDistribution.create(
            workspace_id=actor.workspace_id,
            segment_id=segment.id,
            queue_id=queue.id,
            requested_by_id=actor.user_id,
            contact_ids=ids,
            total=len(ids),
        )
        await record_event(
            actor,
            actor.workspace_id,
            STARTED,
            nN_(
                "Bulk offer: {count} contact of {segment} through {queue}",
                "Bulk offer: {count} contacts of {segment} through {queue}",
                len(ids),
                segment=segment.name,
                queue=queue.name,
            ),
            data={"jobId": job.id, "segmentId": segment.id, "queueId": queue.id, "total": len(ids)},
            queue_id=queue.id,
        )
    return job


async def run_bulk_distribution(settings: Settings, job_id: int) -> None:
    """Distribute the job's remaining contacts, one transaction each; safe
    to run again (it resumes at `processed`, and a finished job is left)."""
    job = await BulkDistribution.filter(id=job_id).first()
    if job is None or job.status in ("DONE", "FAILED"):
        return
    requester = (
        await User.filter(id=job.requested_by_id, active=True).first() if job.requested_by_id else None
    )
    if requester is None:
        await _finish(job.id, None, "FAILED", "The person who started it can no longer act in the workspace.")
        return
    actor = Actor(job.workspace_id, requester.id, requester.role)
    segment = await Segment.get(id=job.segment_id)
    await BulkDistribution.filter(id=job.id, status="PENDING").update(status="RUNNING")
    label = _("Bulk offer: {segment}", segment=segment.name)
    for index in range(job.processed, job.total):
        await _distribute_one(settings, actor, job.id, index, label)
    await _finish(job.id, actor, "DONE", None)


async def _distribute_one(settings: Settings, actor: Actor, job_id: int, index: int, label: str) -> None:
    async with unit_of_work():
        job = await BulkDistribution.filter(id=job_id).select_for_update().get()
        if job.processed != index:  # another delivery did this one
            return
        contact_id = job.contact_ids[index]
        outcome = "skipped"
        live = await Contact.filter(id=contact_id, deleted_at=None).exists()
        waiting_or_held = await Assignment.filter(
            queue_id=job.queue_id, contact_id=contact_id, deal_id=None, released_at=None
        ).exists()
        if live and not waiting_or_held:
            assignment = await assign_through_queue(
                settings,
                actor,
                job.queue_id,
                contact_id=contact_id,
                deal_id=None,
                actor_label=label,
                because=f"{label}.",
            )
            outcome = "assigned" if assignment and assignment.status == "ASSIGNED" else "queued"
        setattr(job, outcome, getattr(job, outcome) + 1)
        job.processed = index + 1
        await job.save(update_fields=["processed", outcome, "updated_at"])


BULK_STATUSES = {"DONE": N_("done"), "FAILED": N_("failed")}


async def _finish(job_id: int, actor: Actor | None, status: str, error: str | None) -> None:
    async with unit_of_work():
        job = await BulkDistribution.filter(id=job_id).select_for_update().get()
        if job.status in ("DONE", "FAILED"):
            return
        job.status, job.error, job.finished_at = status, error, datetime.now(UTC)
        await job.save(update_fields=["status", "error", "finished_at"])
        await record_event(
            actor,
            job.workspace_id,
            "bulk_distribution.finished",
            N_(
                "Bulk offer {status}: {assigned} assigned, {queued} waiting, {skipped} skipped",
                status=BULK_STATUSES.get(status, status),
                assigned=job.assigned,
                queued=job.queued,
                skipped=job.skipped,
            )
            if not error
            else N_(
                "Bulk offer {status}: {assigned} assigned, {queued} waiting, {skipped} skipped ({error})",
                status=BULK_STATUSES.get(status, status),
                assigned=job.assigned,
                queued=job.queued,
                skipped=job.skipped,
                error=error,
            ),
            data={
                "jobId": job.id,
                "status": status,
                "assigned": job.assigned,
                "queued": job.queued,
                "skipped": job.skipped,
                "error": error,
            },
            queue_id=job.queue_id,
        )
    log.info("bulk distribution %s %s", job_id, status)


async def stalled_bulk_distributions(now: datetime | None = None) -> list[int]:
    """Unfinished jobs that made no progress for STALLED_AFTER: their message
    was lost (an embedded server restarted, a worker died); send them again."""
    cutoff = (now or datetime.now(UTC)) - STALLED_AFTER
    return list(
        await BulkDistribution.filter(status__in=("PENDING", "RUNNING"), updated_at__lt=cutoff).values_list(
            "id", flat=True
        )
    )


async def get_bulk_distribution(ctx: Context, pk: int) -> BulkDistribution | None:
    """A job of the workspace; it names no contact, so every member may follow it."""
    actor = ctx.require_actor()
    return await BulkDistribution.filter(id=pk, workspace_id=actor.workspace_id).first()
