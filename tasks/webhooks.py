"""Webhook actors: `webhooks.deliver` (endpoint id in) sends what the
endpoint is owed, in log order, one at a time; `webhooks.sweep` finds
endpoints with events past their cursor or a retry due whose message was
lost (a Redis, worker or server outage). Both are safe to deliver twice:
the endpoint's lease lets one run at a time, and each attempt's outcome is
committed before the next (resolvers/webhooks/delivery.py).

A slow receiver never delays another endpoint. Dramatiq runs an async actor
on its worker's event loop but holds one of the worker's threads (4 by
default) until the actor returns, so under `revgraph worker` the endpoint's
run is detached onto the loop (tasks/broker.py `detach`) and the message is
done at once: the threads stay free, and up to MAX_RUNS endpoint runs of a
process wait on their receivers side by side. Past MAX_RUNS a message comes
back after FULL_DELAY_MS. A process that dies mid-run loses nothing: the
endpoint's lease runs out (delivery.LEASE) and the sweep sends its task
again. Embedded, every message is already a task on the server's loop (no
thread to hold): the run is awaited there."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import dramatiq

from revgraph.models.webhooks import WebhookEndpoint
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.webhooks import delivery
from revgraph.tasks.broker import DETACHED, broker, detach, is_embedded
from revgraph.tasks.runtime import DISPATCH_HOOKS

log = logging.getLogger(__name__)
# Retries due within this long get a delayed message; the sweep (every
# Settings.webhook_sweep_seconds) sends the later ones when they fall due.
SOON_SECONDS = 15.0
# Endpoint runs one worker process holds at once (each at most one attempt
# of 10 s at a time), and how soon a message finding them all busy comes back.
MAX_RUNS = 200
FULL_DELAY_MS = 1_000
# A run that raised (the database away) is tried again this much later;
# the lease and the sweep cover a process that dies.
FAILED_RUN_DELAY_MS = 5_000


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
    # Embedded, the run is awaited: above the 10 s attempt cap plus the run's budget.
    time_limit=5 * 60_000,
)
async def deliver(endpoint_id: int) -> None:
    """Deliver the endpoint's due deliveries (detached from the worker's
    thread under `revgraph worker`, see the module's docstring)."""
    if is_embedded():
        await run(endpoint_id)
        return
    if len(DETACHED) >= MAX_RUNS:
        deliver.send_with_options(args=(endpoint_id,), delay=FULL_DELAY_MS)
        return
    detach(run(endpoint_id), name=f"webhooks.deliver:{endpoint_id}")


async def run(endpoint_id: int) -> None:
    """One run of the endpoint; then its task again for a retry due soon (a
    later one is the sweep's: no message waits for hours)."""
    try:
        wait = await delivery.run_endpoint(settings(), endpoint_id)
    except Exception:
        if is_embedded():
            raise  # the embedded broker retries the message
        log.exception("webhook endpoint %s: run failed; again in %d ms", endpoint_id, FAILED_RUN_DELAY_MS)
        deliver.send_with_options(args=(endpoint_id,), delay=FAILED_RUN_DELAY_MS)
        return
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
