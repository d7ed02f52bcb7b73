"""GraphQL surface of outgoing webhooks (contract.d/webhooks.graphql).
ADMIN only; secrets appear once, in the payload that made them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.webhooks import delivery as delivery_rules
from revgraph.resolvers.webhooks import endpoints
from revgraph.resolvers.webhooks.event_types import event_type_names
from revgraph.schema.common import (
    DeletePayload,
    Node,
    PageInfo,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    page_info,
    query,
    selects,
)
from revgraph.schema.permissions import ADMIN, AUTHENTICATED


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Not attempted yet (waiting its turn in event order)."
    )
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The endpoint answered 2xx.")
    RETRYING = strawberry.enum_value(
        "RETRYING", description="Failed; retried with exponential backoff and jitter at `nextAttemptAt`."
    )
    FAILED = strawberry.enum_value(
        "FAILED",
        description="Every attempt failed for 3 days; not retried (redeliverWebhook sends it again).",
    )


@strawberry.type(description="One event owed to one endpoint, and how its attempts went.")
class WebhookDelivery(Node):
    message_id: str = strawberry.field(
        description="The webhook-id header: the same on every attempt and on redelivery (dedupe by it)."
    )
    event_type: str = strawberry.field(description='The event type, e.g. "contact.created".')
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far (each times out after 10 s).")
    response_status: int | None = strawberry.field(description="HTTP status of the last answer; null: none.")
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed (HTTP status, timeout, refused address); null after success."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next; null: not scheduled."
    )
    created_at: datetime = strawberry.field(description="When the event was taken into the endpoint's log.")

    @classmethod
    def of(cls, row: Any) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(encode_id("WebhookDelivery", row.id)),
            message_id=row.message_id,
            event_type=row.event_type,
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            response_status=row.response_status,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
        )


@strawberry.type(description="A delivery with its cursor.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Opaque position; pass as `after`.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of an endpoint's delivery log, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page is in the whole log.")
    total_count: int = strawberry.field(description="Deliveries in the whole log (with the status filter).")


@strawberry.type(
    description="Where the workspace's events are POSTed, signed per Standard Webhooks. ADMIN only. It receives the events committed after its creation, in log order, at least once."
)
class WebhookEndpoint(Node):
    url: str = strawberry.field(
        description="http(s) URL the events are POSTed to (redirects are not followed)."
    )
    event_types: list[str] = strawberry.field(
        description="The event types it receives (webhookEventTypes lists them); empty: all."
    )
    enabled: bool = strawberry.field(
        description="false: nothing is sent (disabled by an admin, or after failing for 5 days); re-enabling resumes where it stopped."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    row: strawberry.Private[Any]

    @strawberry.field(description="Its delivery log, newest first; `first` defaults to 50, at most 100.")
    async def deliveries(
        self,
        info: Info,
        status: WebhookDeliveryStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WebhookDeliveryConnection:
        page = await query(
            endpoints.list_deliveries(
                ctx_of(info),
                self.row.id,
                status=status.value if status else None,
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        edges = [
            WebhookDeliveryEdge(cursor=c, node=WebhookDelivery.of(item))
            for item, c in zip(page.items, page.cursors, strict=True)
        ]
        total = await page.total_count() if selects(info, "totalCount") else 0
        return WebhookDeliveryConnection(edges=edges, page_info=page_info(page), total_count=total)

    @classmethod
    def of(cls, row: Any) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(encode_id("WebhookEndpoint", row.id)),
            url=row.url,
            event_types=list(row.event_types or ()),
            enabled=row.enabled,
            created_at=row.created_at,
            row=row,
        )


@strawberry.input(description="A new endpoint. ADMIN only; at most 20 per workspace.")
class WebhookEndpointInput:
    url: str = strawberry.field(
        description="http(s) URL, at most 2000 characters. With REVGRAPH_ENV=production, a host resolving to a private, loopback or link-local address is refused (FORBIDDEN) unless REVGRAPH_WEBHOOK_ALLOW_PRIVATE=true."
    )
    event_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Event types to receive (webhookEventTypes); empty or absent: all.",
    )


@strawberry.input(description="Changes to an endpoint; absent fields stay as they are.")
class WebhookEndpointUpdateInput:
    url: str | None = strawberry.field(
        default=strawberry.UNSET, description="New URL (same rules as on create)."
    )
    event_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="New filter; empty: all event types."
    )
    enabled: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false stops sending; true re-enables (also after an automatic disable).",
    )


@strawberry.type(description="Result of an endpoint mutation.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(default=None, description="The endpoint.")
    secret: str | None = strawberry.field(
        default=None,
        description='The signing secret ("whsec_" + base64), shown only by createWebhookEndpoint and rotateWebhookSecret; store it.',
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of redeliverWebhook.")
class WebhookDeliveryPayload:
    webhook_delivery: WebhookDelivery | None = strawberry.field(default=None, description="The delivery.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="The workspace's webhook endpoints, oldest first. ADMIN only.", permission_classes=ADMIN
    )
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        rows = await query(endpoints.list_endpoints(ctx_of(info)))
        return [WebhookEndpoint.of(row) for row in rows]

    @strawberry.field(
        description="Every event type an endpoint may subscribe to (the README lists them with their meaning).",
        permission_classes=AUTHENTICATED,
    )
    def webhook_event_types(self) -> list[str]:
        return event_type_names()


def _endpoint_payload(result: Any) -> dict[str, Any]:
    row, secret = result if isinstance(result, tuple) else (result, None)
    return {"webhook_endpoint": WebhookEndpoint.of(row), "secret": secret}


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Create an endpoint; the payload's `secret` is shown this once. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def create_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> WebhookEndpointPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return _endpoint_payload(await endpoints.create_endpoint(ctx, input_dict(input)))

        return await mutate(WebhookEndpointPayload, work)

    @strawberry.mutation(
        description="Change an endpoint's URL or event types, or disable/re-enable it. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: WebhookEndpointUpdateInput
    ) -> WebhookEndpointPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return _endpoint_payload(await endpoints.update_endpoint(ctx, id, input_dict(input)))

        return await mutate(WebhookEndpointPayload, work)

    @strawberry.mutation(
        description=f"A new secret, shown this once. For {int(endpoints.ROTATION_OVERLAP.total_seconds() // 3600)} hours both the old and the new secret sign (two space-separated signatures in webhook-signature). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return _endpoint_payload(await endpoints.rotate_secret(ctx, id))

        return await mutate(WebhookEndpointPayload, work)

    @strawberry.mutation(
        description="Delete an endpoint and its delivery log. ADMIN only.", permission_classes=ADMIN
    )
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeletePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"deleted_id": strawberry.ID(await endpoints.delete_endpoint(ctx, id))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(
        description=f"Send a delivery again with the same webhook-id and body, on a new retry schedule (first retry within {int(delivery_rules.FIRST_RETRY.total_seconds())} s, up to 3 days). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def redeliver_webhook(self, info: Info, delivery_id: strawberry.ID) -> WebhookDeliveryPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"webhook_delivery": WebhookDelivery.of(await endpoints.redeliver(ctx, delivery_id))}

        return await mutate(WebhookDeliveryPayload, work)
