"""Distribution actors: the backlog drains itself when someone can take a
lead, and idle agents go offline."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import dramatiq

from revgraph.resolvers.distribution import bulk
from revgraph.resolvers.distribution.assign import drain_backlog as drain
from revgraph.resolvers.distribution.assign import queues_to_drain
from revgraph.resolvers.distribution.assign import redistribute_unattended as redistribute
from revgraph.resolvers.distribution.presence import expire_idle_agents
from revgraph.resolvers.settings import Settings
from revgraph.tasks.broker import broker
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)
# Event kinds that may let a waiting lead be assigned.
WAKING_KINDS = {
    "user.availability_changed",
    "queue.created",
    "queue.member_added",
    "queue.member_changed",
    "assignment.released",
    "assignment.made",
}


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@dramatiq.actor(broker=broker, queue_name="distribution", max_retries=10, min_backoff=500, max_backoff=30_000)
async def drain_backlog(queue_id: int) -> None:
    """Assign a queue's waiting leads, oldest first, while someone is
    eligible. Idempotent: a second delivery finds fewer (or no) waiting leads."""
    assigned = await drain(settings(), queue_id)
    if assigned:
        log.info("queue %s: %d waiting lead(s) assigned", queue_id, assigned)


@dramatiq.actor(broker=broker, queue_name="distribution", max_retries=3)
async def redistribute_unattended() -> None:
    """Leads not worked within their queue's delay go to the next member.
    Idempotent: a lead moved (or worked) is no longer stale."""
    moved = await redistribute(settings())
    if moved:
        log.info("%d unattended lead(s) redistributed", moved)
    for job_id in await bulk.stalled_bulk_distributions():
        log.warning("bulk distribution %s stalled: sending it again", job_id)
        run_bulk_distribution.send(job_id)


@dramatiq.actor(
    broker=broker, queue_name="distribution", max_retries=10, min_backoff=1000, max_backoff=60_000
)
async def run_bulk_distribution(job_id: int) -> None:
    """An "oferta ativa" job; idempotent (it resumes where it stopped)."""
    await bulk.run_bulk_distribution(settings(), job_id)


@dramatiq.actor(broker=broker, queue_name="distribution", max_retries=3)
async def expire_presence() -> None:
    """Agents idle past the presence timeout go offline."""
    await expire_idle_agents(settings())


async def wake_backlogs(events: list[dict[str, Any]]) -> None:
    """Dispatch hook: after commit, events that may unblock a queue (an
    agent online, capacity freed, a member added) send `drain_backlog`.
    Event-driven, not polling."""
    queue_ids: set[int] = set()
    for event in events:
        if event.get("kind") in WAKING_KINDS:
            queue_ids.update(await queues_to_drain(event))
    for queue_id in sorted(queue_ids):
        drain_backlog.send(queue_id)


async def start_bulk_distributions(events: list[dict[str, Any]]) -> None:
    """Dispatch hook: a committed "oferta ativa" job starts running."""
    for event in events:
        if event.get("kind") == bulk.STARTED:
            run_bulk_distribution.send(int(event["data"]["jobId"]))


DISPATCH_HOOKS.append(wake_backlogs)
DISPATCH_HOOKS.append(start_bulk_distributions)
