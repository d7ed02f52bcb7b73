"""Housekeeping actors: ids (or nothing) in, resolvers called, idempotent."""

from __future__ import annotations

import logging

import dramatiq

from revgraph.resolvers.trash import purge_expired_trash, trash_summary
from revgraph.tasks.broker import broker

log = logging.getLogger(__name__)


@dramatiq.actor(broker=broker, max_retries=5)
async def purge_trash() -> None:
    """Destroy trash older than each workspace's retention. Running it twice
    (a redelivery, two servers' timers) destroys nothing more."""
    purged = await purge_expired_trash()
    log.info("trash purge: %s", trash_summary(purged))
