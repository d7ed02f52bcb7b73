"""Partner actors: RD Station conversions stored by the webhook are captured
after commit; the ones a lost task or a dead process left are found again."""

from __future__ import annotations

import logging

import dramatiq

from revgraph.resolvers.partners import rdstation
from revgraph.tasks.broker import broker
from revgraph.tasks.inbox import settings

log = logging.getLogger(__name__)


@dramatiq.actor(broker=broker, queue_name="partners", max_retries=10, min_backoff=500, max_backoff=60_000)
async def capture_rdstation_conversion(row_id: int) -> None:
    """Capture one stored conversion (idempotent)."""
    await rdstation.process(settings(), row_id)


@dramatiq.actor(broker=broker, queue_name="partners", max_retries=3)
async def sweep_rdstation_conversions() -> None:
    """Send again the conversions stored but not captured."""
    stale = await rdstation.unprocessed()
    for row_id in stale:
        capture_rdstation_conversion.send(row_id)
    if stale:
        log.info("%d stored RD Station conversion(s) sent to work again", len(stale))
