"""The ADMIN use cases of outgoing webhooks and the delivery log. Every
one is scoped to the caller's workspace: another workspace's endpoint or
delivery is NOT_FOUND, exactly like a random id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.functions import Max

from revgraph.models.events import Event
from revgraph.models.webhooks import WebhookDelivery, WebhookEndpoint
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound, Problem
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.webhooks import signing
from revgraph.resolvers.webhooks.event_types import EVENT_TYPES
from revgraph.resolvers.webhooks.targets import validate_url

# After rotateWebhookSecret the previous secret still signs for this long.
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 20
DELIVERY_ORDER = [SortKey("id", descending=True, kind="int")]
STATUSES = ("PENDING", "RETRYING", "SUCCEEDED", "FAILED")


def _admin(ctx: Context) -> int:
    actor = ctx.require_actor()
    if not actor.is_admin:
        raise DomainError("FORBIDDEN", _("Only workspace administrators manage webhooks."))
    return actor.workspace_id


def _event_types(values: list[str] | None, field: list[str]) -> list[str]:
    problems = [
        Problem(
            "INVALID",
            _("Unknown event type {value!r}: see webhookEventTypes.", value=value),
            [*field, str(i)],
        )
        for i, value in enumerate(values or ())
        if value not in EVENT_TYPES
    ]
    if problems:
        raise DomainError.many(problems)
    return list(dict.fromkeys(values or ()))


async def _own(ctx: Context, raw_id: str, field: str = "id") -> WebhookEndpoint:
    workspace_id = _admin(ctx)
    row = await WebhookEndpoint.filter(
        id=pk_of(raw_id, "WebhookEndpoint") or 0, workspace_id=workspace_id
    ).first()
    if row is None:
        raise NotFound(_("Webhook endpoint"), [field])
    return row


async def list_endpoints(ctx: Context) -> list[WebhookEndpoint]:
    """The workspace's endpoints, oldest first."""
    return await WebhookEndpoint.filter(workspace_id=_admin(ctx)).order_by("id")


async def get_endpoint(ctx: Context, pk: int) -> WebhookEndpoint | None:
    actor = ctx.require_actor()
    if not actor.is_admin:
        return None
    return await WebhookEndpoint.filter(id=pk, workspace_id=actor.workspace_id).first()


async def get_delivery(ctx: Context, pk: int) -> WebhookDelivery | None:
    actor = ctx.require_actor()
    if not actor.is_admin:
        return None
    return await WebhookDelivery.filter(id=pk, workspace_id=actor.workspace_id).first()


async def create_endpoint(ctx: Context, values: dict[str, Any]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned this once). It receives the
    events committed after it: its cursor starts at its own creation event."""
    workspace_id = _admin(ctx)
    url = await validate_url(ctx.settings, values["url"], ["input", "url"])
    event_types = _event_types(values.get("event_types"), ["input", "eventTypes"])
    secret = signing.new_secret()
    async with unit_of_work():
        if await WebhookEndpoint.filter(workspace_id=workspace_id).count() >= MAX_ENDPOINTS:
            raise DomainError(
                "LIMIT_EXCEEDED",
                _(
                    "A workspace may have at most {MAX_ENDPOINTS} webhook endpoints.",
                    MAX_ENDPOINTS=MAX_ENDPOINTS,
                ),
                ["input"],
            )
        row = await WebhookEndpoint.create(
            workspace_id=workspace_id, url=url, event_types=event_types, secret=secret
        )
        event = await record_event(
            ctx.actor,
            workspace_id,
            "webhook_endpoint.created",
            N_("Webhook endpoint {url} created", url=url),
            data={"endpointId": encode_id("WebhookEndpoint", row.id), "url": url, "eventTypes": event_types},
        )
        # The newest id in the log now (the creation event at least).
        newest = await Event.all().annotate(top=Max("id")).values_list("top", flat=True)
        row.cursor = max(event.id, newest[0] or 0)
        await row.save(update_fields=["cursor"])
    return row, secret


async def update_endpoint(ctx: Context, raw_id: str, values: dict[str, Any]) -> WebhookEndpoint:
    """Change the URL or filters, or enable/disable. Re-enabling resumes
    from the endpoint's cursor (nothing logged meanwhile is skipped), its
    waiting deliveries due at once on a fresh retry schedule."""
    row = await _own(ctx, raw_id)
    changes: dict[str, Any] = {}
    if values.get("url") is not None:
        changes["url"] = await validate_url(ctx.settings, values["url"], ["input", "url"])
    if values.get("event_types") is not None:
        changes["event_types"] = _event_types(values["event_types"], ["input", "eventTypes"])
    if values.get("enabled") is not None:
        changes["enabled"] = values["enabled"]
        if values["enabled"]:
            changes.update(failing_since=None, disabled_reason=None)
    async with unit_of_work():
        if changes:
            await WebhookEndpoint.filter(id=row.id).update(**changes)
        if values.get("enabled") and not row.enabled:
            # What waited while it was off goes now, on a fresh retry schedule.
            await WebhookDelivery.filter(endpoint_id=row.id, status__in=("PENDING", "RETRYING")).update(
                next_attempt_at=datetime.now(UTC), schedule_started_at=None
            )
        await record_event(
            ctx.actor,
            row.workspace_id,
            "webhook_endpoint.updated",
            N_("Webhook endpoint {get} updated", get=changes.get("url", row.url)),
            data={
                "endpointId": encode_id("WebhookEndpoint", row.id),
                "changed": sorted(k for k in changes if k in ("url", "event_types", "enabled")),
            },
        )
    return await WebhookEndpoint.get(id=row.id)


async def rotate_secret(ctx: Context, raw_id: str) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned this once); the current one keeps signing,
    beside it, for ROTATION_OVERLAP."""
    row = await _own(ctx, raw_id)
    secret = signing.new_secret()
    until = datetime.now(UTC) + ROTATION_OVERLAP
    async with unit_of_work():
        await WebhookEndpoint.filter(id=row.id).update(
            secret=secret, previous_secret=row.secret, previous_secret_until=until
        )
        await record_event(
            ctx.actor,
            row.workspace_id,
            "webhook_endpoint.secret_rotated",
            N_("Webhook endpoint {row_url}: secret rotated", row_url=row.url),
            data={
                "endpointId": encode_id("WebhookEndpoint", row.id),
                "previousSignsUntil": until.isoformat(),
            },
        )
    return await WebhookEndpoint.get(id=row.id), secret


async def delete_endpoint(ctx: Context, raw_id: str) -> str:
    """Delete the endpoint and its delivery log; nothing more is sent."""
    row = await _own(ctx, raw_id)
    async with unit_of_work():
        await WebhookEndpoint.filter(id=row.id).delete()
        await record_event(
            ctx.actor,
            row.workspace_id,
            "webhook_endpoint.deleted",
            N_("Webhook endpoint {row_url} deleted", row_url=row.url),
            data={"endpointId": encode_id("WebhookEndpoint", row.id), "url": row.url},
        )
    return encode_id("WebhookEndpoint", row.id)


async def redeliver(ctx: Context, raw_id: str) -> WebhookDelivery:
    """Send a delivery again, with the same webhook-id and body, on a fresh
    retry schedule. It goes out in event order among the endpoint's open
    deliveries (an older event than those waiting goes first)."""
    workspace_id = _admin(ctx)
    row = await WebhookDelivery.filter(
        id=pk_of(raw_id, "WebhookDelivery") or 0, workspace_id=workspace_id
    ).first()
    if row is None:
        raise NotFound(_("Webhook delivery"), ["deliveryId"])
    now = datetime.now(UTC)
    async with unit_of_work():
        await WebhookDelivery.filter(id=row.id).update(
            status="PENDING", next_attempt_at=now, schedule_started_at=None
        )
        await record_event(
            ctx.actor,
            workspace_id,
            "webhook_delivery.redelivered",
            N_("Webhook delivery {row_message_id} sent again", row_message_id=row.message_id),
            data={
                "deliveryId": encode_id("WebhookDelivery", row.id),
                "endpointId": encode_id("WebhookEndpoint", row.endpoint_id),
            },
        )
    return await WebhookDelivery.get(id=row.id)


async def list_deliveries(
    ctx: Context,
    endpoint_id: int,
    *,
    status: str | None,
    first: int | None,
    after: str | None,
    with_total: bool = False,
) -> Page:
    """The endpoint's delivery log, newest first."""
    query = WebhookDelivery.filter(endpoint_id=endpoint_id, workspace_id=_admin(ctx))
    if status is not None:
        query = query.filter(status=status)
    return await paginate_for(ctx, query, DELIVERY_ORDER, first=first, after=after, with_total=with_total)
