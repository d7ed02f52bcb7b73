"""Webhook actors: `webhooks.deliver` (endpoint id in) sends what the
endpoint is owed, in log order, one at a time; `webhooks.sweep` finds
endpoints with events past their cursor or a retry due whose message was
lost (a Redis, worker or server outage). Both are safe to deliver twice:
the endpoint's lease lets one run at a time, and each attempt's outcome is
committed before the next (resolvers/webhooks/delivery.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import dramatiq

from revgraph.models.webhooks import WebhookEndpoint
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.webhooks import delivery
from revgraph.tasks.broker import broker
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)
# Retries due within this long get a delayed message; the sweep (every
# WEBHOOK_SWEEP_SECONDS) sends the later ones when they fall due.
SOON_SECONDS = 15.0


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@dramatiq.actor(
    actor_name="webhooks.deliver",
    broker=broker,
    queue_name="webhooks",
    max_retries=10,
    min_backoff=1_000,
    max_backoff=60_000,
    # Above the 10 s attempt timeout times the run's budget.
    time_limit=5 * 60_000,
)
async def deliver(endpoint_id: int) -> None:
    """Deliver the endpoint's due deliveries; schedule itself for a retry
    due soon (a later one is the sweep's: no message waits for hours)."""
    wait = await delivery.run_endpoint(settings(), endpoint_id)
    if wait is not None and wait <= SOON_SECONDS:
        deliver.send_with_options(args=(endpoint_id,), delay=max(0, int(wait * 1000)) + 50)


@dramatiq.actor(actor_name="webhooks.sweep", broker=broker, queue_name="webhooks", max_retries=3)
async def sweep() -> None:
    """Send `deliver` for every endpoint with something due and no run."""
    endpoint_ids = await delivery.endpoints_to_run(datetime.now(UTC))
    for endpoint_id in endpoint_ids:
        deliver.send(endpoint_id)


async def hand_to_webhooks(events: list[dict[str, Any]]) -> None:
    """Dispatch hook: every enabled endpoint of a workspace that logged
    something is woken (it reads the log itself; one query per batch)."""
    workspaces = {event["workspace_id"] for event in events}
    endpoint_ids = await WebhookEndpoint.filter(workspace_id__in=workspaces, enabled=True).values_list(
        "id", flat=True
    )
    for endpoint_id in sorted(endpoint_ids):
        deliver.send(endpoint_id)


DISPATCH_HOOKS.append(hand_to_webhooks)
