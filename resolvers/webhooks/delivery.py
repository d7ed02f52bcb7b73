"""Delivering the log to an endpoint, in log order, at least once.

Each endpoint reads the event log through its own cursor (the last event
id it took): `fill` turns the workspace's next events of a subscribed type
into WebhookDelivery rows and moves the cursor, in one transaction, so a
crash re-reads nothing twice and skips nothing. The deliveries of an
endpoint go out in event order, one at a time: the open delivery with the
lowest event id is the head, and a head that fails blocks the later ones
of that endpoint only, until it succeeds or its retries run out (FAILED).
The one in flight is a lease on the endpoint row (`lease_until`), so two
processes, or a task Dramatiq delivered twice, never send the same
delivery at once; every outcome is committed before the next is tried.

PostgreSQL draws event ids at insert, not at commit: a transaction may
commit id 10 after id 11 is visible. The cursor takes events at once when
every id up to them is there (count = width of the id range), otherwise
only those older than GAP_SETTLE, so an id still in flight is waited for
and a gap left by a rollback costs at most GAP_SETTLE of delay."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tortoise.expressions import Q

from revgraph.models.automation import Notification
from revgraph.models.events import Event
from revgraph.models.identity import User, Workspace
from revgraph.models.webhooks import WebhookDelivery, WebhookEndpoint
from revgraph.resolvers.context import Actor
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, Moment
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.webhooks import signing, targets
from revgraph.resolvers.webhooks.event_types import EVENT_TYPES, addressed_to, event_body

log = logging.getLogger(__name__)

OPEN = ("PENDING", "RETRYING")
# The most one attempt may take, from resolving the host to the last byte of
# the response body kept (`post`), is Settings.webhook_attempt_timeout_seconds
# (REVGRAPH_WEBHOOK_ATTEMPT_TIMEOUT_SECONDS, 10 s).
RESPONSE_BODY_CHARS = 2048
# Retries: exponential backoff with "equal jitter": after the n-th failed
# attempt a ceiling of FIRST_RETRY * 2**(n-1), at most MAX_WAIT, and a wait
# drawn uniformly between half of it and all of it (so the first retry
# comes within 5 s, never sooner than 2.5 s), for RETRY_WINDOW after the
# first attempt; then FAILED.
FIRST_RETRY = timedelta(seconds=5)
MAX_WAIT = timedelta(hours=6)
RETRY_WINDOW = timedelta(days=3)
# An endpoint whose every attempt failed for this long is disabled.
DISABLE_AFTER = timedelta(days=5)
# How long one process holds an endpoint (refreshed before each attempt,
# which takes at most 10 s): a killed worker's endpoints are free again
# within this long.
LEASE = timedelta(seconds=30)
GAP_SETTLE = timedelta(seconds=30)
FILL_BATCH = 200
USER_AGENT = "RevGraph-Webhooks/1"


def retry_wait(failures: int) -> timedelta:
    """Wait after the `failures`-th failed attempt (1 → 2.5–5 s)."""
    ceiling = min(MAX_WAIT.total_seconds(), FIRST_RETRY.total_seconds() * 2 ** (failures - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


async def fill(endpoint: WebhookEndpoint) -> int:
    """Take the endpoint's next events from the log into deliveries; the
    number of deliveries created."""
    now = datetime.now(UTC)
    async with unit_of_work():
        current = await WebhookEndpoint.filter(id=endpoint.id, enabled=True).select_for_update().first()
        if current is None:
            return 0
        events = (
            await Event.filter(workspace_id=current.workspace_id, id__gt=current.cursor)
            .order_by("id")
            .limit(FILL_BATCH)
        )
        if not events:
            return 0
        present = await Event.filter(id__gt=current.cursor, id__lte=events[-1].id).count()
        if present != events[-1].id - current.cursor:
            settled = now - GAP_SETTLE
            taken = []
            for event in events:
                if event.at > settled:
                    break
                taken.append(event)
            events = taken
        if not events:
            return 0
        wanted = set(current.event_types or ())
        created = 0
        for event in events:
            if event.kind not in EVENT_TYPES or (wanted and event.kind not in wanted):
                continue
            if not addressed_to(event, current.id):
                continue
            await WebhookDelivery.create(
                workspace_id=current.workspace_id,
                endpoint_id=current.id,
                event_id=event.id,
                event_type=event.kind,
                message_id=f"msg_{current.id}_{event.id}",
                body=await event_body(event),
                status="PENDING",
                next_attempt_at=now,
            )
            created += 1
        await WebhookEndpoint.filter(id=current.id).update(cursor=events[-1].id)
        endpoint.cursor = events[-1].id
    return created


async def claim(endpoint_id: int) -> bool:
    now = datetime.now(UTC)
    return bool(
        await WebhookEndpoint.filter(
            Q(lease_until=None) | Q(lease_until__lt=now), id=endpoint_id, enabled=True
        ).update(lease_until=now + LEASE)
    )


async def has_work(endpoint: WebhookEndpoint, now: datetime) -> bool:
    """Whether the endpoint has events to take or a delivery due."""
    if await Event.filter(workspace_id=endpoint.workspace_id, id__gt=endpoint.cursor).exists():
        return True
    return await WebhookDelivery.filter(
        endpoint_id=endpoint.id, status__in=OPEN, next_attempt_at__lte=now
    ).exists()


async def run_endpoint(settings: Settings, endpoint_id: int, budget_seconds: float = 5.0) -> float | None:
    """Deliver what the endpoint is owed, in order, for about `budget_seconds`
    (then the task sends itself again, so runs take turns in the worker's
    pool of endpoint runs, tasks/webhooks.py).
    Returns the seconds until the retry this run scheduled is due (0: more
    now), or None when nothing is waiting, the wait was scheduled by an
    earlier run, or another process holds the endpoint."""
    if not await claim(endpoint_id):
        return None
    started = time.monotonic()
    endpoint = None
    attempted = False
    try:
        while True:
            endpoint = await WebhookEndpoint.filter(id=endpoint_id).first()
            if endpoint is None or not endpoint.enabled:
                return None
            await fill(endpoint)
            head = (
                await WebhookDelivery.filter(endpoint_id=endpoint_id, status__in=OPEN)
                .order_by("event_id")
                .first()
            )
            now = datetime.now(UTC)
            if head is None:
                break
            if head.next_attempt_at is not None and head.next_attempt_at > now:
                return (head.next_attempt_at - now).total_seconds() if attempted else None
            if time.monotonic() - started > budget_seconds:
                return 0.0
            await WebhookEndpoint.filter(id=endpoint_id).update(lease_until=now + LEASE)
            await attempt(settings, endpoint, head)
            attempted = True
    finally:
        await WebhookEndpoint.filter(id=endpoint_id).update(lease_until=None)
    # Work that arrived while this run held the lease (its task found the
    # endpoint busy) is taken now.
    return 0.0 if endpoint is not None and await has_work(endpoint, datetime.now(UTC)) else None


def secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    in_use = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        in_use.append(endpoint.previous_secret)
    return in_use


async def post(settings: Settings, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> dict[str, Any]:
    """One attempt: the POST and what came of it (never raises)."""
    now = datetime.now(UTC)
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            secrets_in_use(endpoint, now), delivery.message_id, timestamp, delivery.body
        ),
    }
    cap = settings.webhook_attempt_timeout_seconds
    try:
        # The cap is on the whole attempt (resolving, connecting, sending,
        # the response's headers and its kept body): httpx's own timeout is
        # per socket operation, so a receiver dribbling a header every few
        # seconds would hold an attempt open for as long as it liked.
        async with asyncio.timeout(cap):
            return await _post(settings, endpoint, delivery, headers, cap)
    except TimeoutError:
        return {"ok": False, "status": None, "body": None, "error": f"timeout ({cap:g} s)"}


async def _post(
    settings: Settings,
    endpoint: WebhookEndpoint,
    delivery: WebhookDelivery,
    headers: dict[str, str],
    cap: float,
) -> dict[str, Any]:
    try:
        await targets.check_target(settings, endpoint.url)
        # Guarded, no proxy from the environment: the address checked is the
        # one connected to.
        trust_env = not targets.refuses_private(settings)
        async with (
            httpx.AsyncClient(
                timeout=cap,
                follow_redirects=False,
                transport=targets.transport_for(settings),
                verify=targets.tls_context(trust_env),
                trust_env=trust_env,
            ) as client,
            client.stream("POST", endpoint.url, content=delivery.body.encode(), headers=headers) as response,
        ):
            kept = b""
            async for chunk in response.aiter_bytes():
                kept += chunk
                if len(kept) >= RESPONSE_BODY_CHARS:
                    break
            text = kept.decode("utf-8", errors="replace")[:RESPONSE_BODY_CHARS]
            ok = 200 <= response.status_code < 300
            error = None if ok else f"HTTP {response.status_code}"
            return {"ok": ok, "status": response.status_code, "body": text, "error": error}
    except targets.TargetRefused as refused:
        return {"ok": False, "status": None, "body": None, "error": f"refused: {refused}"}
    except httpx.TimeoutException:
        return {"ok": False, "status": None, "body": None, "error": f"timeout ({cap:g} s)"}
    except httpx.HTTPError as exc:
        return {"ok": False, "status": None, "body": None, "error": f"{type(exc).__name__}: {exc}"[:500]}


async def attempt(settings: Settings, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> str:
    """Send the delivery once and record the outcome; its new status."""
    outcome = await post(settings, endpoint, delivery)
    now = datetime.now(UTC)
    started = delivery.schedule_started_at or now
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "response_status": outcome["status"],
        "response_body": outcome["body"],
        "last_error": outcome["error"],
        "schedule_started_at": started,
    }
    if outcome["ok"]:
        status, changes["next_attempt_at"] = "SUCCEEDED", None
    else:
        due = now + retry_wait(attempts)
        if due - started > RETRY_WINDOW:
            status, changes["next_attempt_at"] = "FAILED", None
        else:
            status, changes["next_attempt_at"] = "RETRYING", due
    async with unit_of_work():
        # Conditional on the attempt count read: a second runner (a lease
        # that expired under a hung attempt) records nothing twice.
        recorded = await WebhookDelivery.filter(
            id=delivery.id, attempts=delivery.attempts, status__in=OPEN
        ).update(status=status, **changes)
        if recorded:
            await _endpoint_health(endpoint, ok=bool(outcome["ok"]), now=now)
    return status


async def _endpoint_health(endpoint: WebhookEndpoint, *, ok: bool, now: datetime) -> None:
    if ok:
        if endpoint.failing_since is not None:
            await WebhookEndpoint.filter(id=endpoint.id).update(failing_since=None)
        return
    since = endpoint.failing_since or now
    if endpoint.failing_since is None:
        await WebhookEndpoint.filter(id=endpoint.id).update(failing_since=now)
    if now - since >= DISABLE_AFTER:
        await disable_failing(endpoint, since)


async def disable_failing(endpoint: WebhookEndpoint, since: datetime) -> None:
    """Disable an endpoint failing since `since`: an event on the log and a
    notification to each active admin of the workspace."""
    reason = f"every attempt failed since {since.isoformat()}"
    if not await WebhookEndpoint.filter(id=endpoint.id, enabled=True).update(
        enabled=False, disabled_reason=reason
    ):
        return
    workspace_id = endpoint.workspace_id
    actor = Actor.system(workspace_id, "webhooks")
    endpoint_gid = encode_id("WebhookEndpoint", endpoint.id)
    await record_event(
        actor,
        workspace_id,
        "webhook_endpoint.disabled",
        N_("Webhook endpoint {endpoint_url} disabled: {reason}", endpoint_url=endpoint.url, reason=reason),
        data={"endpointId": endpoint_gid, "url": endpoint.url, "failingSince": since.isoformat()},
    )
    workspace = await Workspace.get(id=workspace_id)
    notice = N_(
        "The webhook {url} was disabled: every delivery fails since {since}. Fix the receiver and enable it again.",
        url=endpoint.url,
        since=Moment(since, workspace.timezone),
    )
    for admin in await User.filter(workspace_id=workspace_id, role="ADMIN", active=True).order_by("id"):
        # Stored once per admin: in their language, the date in the workspace's zone.
        message = notice.render(admin.locale or workspace.default_locale)
        notification = await Notification.create(workspace_id=workspace_id, user_id=admin.id, message=message)
        await record_event(
            actor,
            workspace_id,
            "notification.created",
            N_("Notification to {admin}: {message}", admin=admin.name, message=message[:80]),
            data={"notificationId": notification.id, "userId": admin.id},
        )


async def endpoints_to_run(now: datetime, limit: int = 1000) -> list[int]:
    """The sweep: enabled endpoints, not held, with events past their cursor
    or a delivery due (a lost task, a retry whose message a restart lost)."""
    free = (
        await WebhookEndpoint.filter(Q(lease_until=None) | Q(lease_until__lt=now), enabled=True)
        .order_by("id")
        .limit(limit)
    )
    if not free:
        return []
    due = set(
        await WebhookDelivery.filter(
            status__in=OPEN, next_attempt_at__lte=now, endpoint_id__in=[e.id for e in free]
        )
        .distinct()
        .values_list("endpoint_id", flat=True)
    )
    for endpoint in free:
        if (
            endpoint.id not in due
            and await Event.filter(workspace_id=endpoint.workspace_id, id__gt=endpoint.cursor).exists()
        ):
            due.add(endpoint.id)
    return sorted(due)
