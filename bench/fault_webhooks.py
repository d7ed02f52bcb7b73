"""Outgoing webhooks under the fault bench (faults.py): a receiver of the
bench's own on loopback, an endpoint subscribed to every event type, and
the checks after the load — every event of a subscribed type committed
after the watermark reached the receiver (none lost), first receipts in
log order, and no webhook-id received twice except across a fault that can
cut an attempt from its commit (a SIGKILLed worker): at least once, and
receivers dedupe by webhook-id."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

import uvicorn
from fault_checks import Run, fetch, wait_until

from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.webhooks.event_types import EVENT_TYPES

CREATE_ENDPOINT = """
mutation($input: WebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } secret userErrors { code message } }
}
"""
# Faults that may end an attempt between the receiver's 2xx and its commit.
CUTTING_FAULTS = {"worker SIGKILL"}


class WebhookSink:
    """Answers 200 to every POST and keeps (webhook-id, arrival) in order."""

    def __init__(self) -> None:
        self.received: list[tuple[str, float]] = []
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task | None = None
        self.port = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = dict(scope["headers"])
        self.received.append((headers.get(b"webhook-id", b"").decode(), time.monotonic()))
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    async def start(self) -> WebhookSink:
        from board_common import free_port

        self.port = free_port()
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task


async def create_endpoint(api: Any, token: str, url: str) -> int:
    data = await api.ok(CREATE_ENDPOINT, {"input": {"url": url}}, token=token)
    return pk_of(data["createWebhookEndpoint"]["webhookEndpoint"]["id"], "WebhookEndpoint") or 0


async def settle_webhooks(url: str, endpoint_pk: int, timeout: float) -> None:
    """Wait until the endpoint's cursor reached its workspace's last event
    and no delivery is open."""

    async def drained() -> bool:
        [row] = await fetch(
            url,
            "SELECT e.cursor >= coalesce((SELECT max(id) FROM event WHERE workspace_id = e.workspace_id), 0) "
            "AS caught_up, (SELECT count(*) FROM webhook_delivery d WHERE d.endpoint_id = e.id "
            "AND d.status IN ('PENDING', 'RETRYING')) AS open FROM webhook_endpoint e WHERE e.id = $1",
            endpoint_pk,
        )
        return bool(row["caught_up"]) and row["open"] == 0

    await wait_until("webhook deliveries", drained, timeout)


async def check_webhooks(
    url: str, sink: WebhookSink, endpoint_pk: int, watermark: int, run: Run
) -> dict[str, Any]:
    expected = await fetch(
        url,
        "SELECT id FROM event WHERE workspace_id = (SELECT workspace_id FROM webhook_endpoint WHERE id = $1) "
        "AND id > $2 AND kind = ANY($3::text[]) ORDER BY id",
        endpoint_pk,
        watermark,
        list(EVENT_TYPES),
    )
    rows = await fetch(
        url, "SELECT event_id, message_id, status FROM webhook_delivery WHERE endpoint_id = $1", endpoint_pk
    )
    by_event = {r["event_id"]: r for r in rows}
    event_of = {r["message_id"]: r["event_id"] for r in rows}
    counts = Counter(message_id for message_id, _ in sink.received)
    first_receipts: list[int] = []
    seen: set[str] = set()
    for message_id, _ in sink.received:
        if message_id not in seen and message_id in event_of:
            seen.add(message_id)
            first_receipts.append(event_of[message_id])
    wanted = [r["id"] for r in expected]
    missing_rows = [e for e in wanted if e not in by_event]
    not_succeeded = [e for e in wanted if e in by_event and by_event[e]["status"] != "SUCCEEDED"]
    lost = [e for e in wanted if e in by_event and by_event[e]["message_id"] not in counts]
    out_of_order = sum(1 for a, b in itertools.pairwise(first_receipts) if b < a)
    doubled = sorted(event_of.get(m, 0) for m, n in counts.items() if n > 1)
    cutting = sum(1 for w in run.windows if w.fault in CUTTING_FAULTS)
    return {
        "events": len(wanted),
        "received": len(sink.received),
        "missing_deliveries": len(missing_rows),
        "not_succeeded": len(not_succeeded),
        "lost": len(lost),
        "out_of_order": out_of_order,
        "doubled": len(doubled),
        "doubled_allowed": cutting,
        "examples": {"missing": missing_rows[:5], "lost": lost[:5], "doubled": doubled[:5]},
    }


def webhook_problems(w: dict[str, Any]) -> list[str]:
    print(
        f"  webhooks: {w['events']} events, {w['received']} POSTs received; missing {w['missing_deliveries']}, "
        f"not succeeded {w['not_succeeded']}, lost {w['lost']}, out of order {w['out_of_order']}, "
        f"received twice {w['doubled']} (allowed {w['doubled_allowed']}: one per worker kill)"
    )
    if (
        w["missing_deliveries"]
        or w["not_succeeded"]
        or w["lost"]
        or w["out_of_order"]
        or w["doubled"] > w["doubled_allowed"]
    ):
        return [f"webhooks: {w['examples']}"]
    return []
