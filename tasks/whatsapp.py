"""WhatsApp actors: stored webhook deliveries are worked after commit, and
the ones a lost task or a dead process left behind are found again. The
sender itself runs in the inbox's deliver_message (tasks/inbox.py)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import timedelta

import dramatiq

from revgraph.resolvers.channels.whatsapp import webhook
from revgraph.tasks.broker import broker
from revgraph.tasks.inbox import settings

log = logging.getLogger(__name__)
# A delivery not worked this long after it was stored lost its task.
STALE_WEBHOOK = timedelta(seconds=30)


# Deliveries worked at once per process. Under `revgraph worker` its
# threads bound this already; embedded, a storm of deliveries would
# otherwise become as many intakes at once on the server's own loop, and
# every API request would wait behind them.
CONCURRENT_DELIVERIES = 4
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(CONCURRENT_DELIVERIES)
    return slot


@dramatiq.actor(broker=broker, queue_name="whatsapp", max_retries=10, min_backoff=500, max_backoff=60_000)
async def process_whatsapp_webhook(row_id: int) -> None:
    """Work one stored webhook delivery (idempotent); retried while some
    of its statuses name messages whose send has not stored the wamid yet."""
    async with _slot():
        await webhook.process(settings(), row_id)


@dramatiq.actor(broker=broker, queue_name="whatsapp", max_retries=3)
async def sweep_whatsapp_webhooks() -> None:
    """Send again the deliveries stored but not worked (at start, then periodically)."""
    stale = await webhook.unprocessed(STALE_WEBHOOK)
    for row_id in stale:
        process_whatsapp_webhook.send(row_id)
    if stale:
        log.info("%d stored WhatsApp webhook(s) sent to work again", len(stale))
