"""Webhook tests' stand-ins: a local receiver (a real HTTP server on
loopback) that records what it is sent and answers as a test scripts it,
and the Standard Webhooks verification a receiver runs, written from the
spec (standard-webhooks/spec: id.timestamp.body, HMAC-SHA256 keyed with the
base64-decoded secret, space-separated "v1,<base64>" signatures, a 5-minute
timestamp tolerance)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tests.conftest import free_port

TOLERANCE = timedelta(minutes=5)

ENDPOINT_FIELDS = "id url eventTypes enabled createdAt"
CREATE_ENDPOINT = f"""
mutation Create($input: WebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{
    webhookEndpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ code message field }}
  }}
}}
"""
UPDATE_ENDPOINT = f"""
mutation Update($id: ID!, $input: WebhookEndpointUpdateInput!) {{
  updateWebhookEndpoint(id: $id, input: $input) {{
    webhookEndpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ code message field }}
  }}
}}
"""
ROTATE = f"""
mutation Rotate($id: ID!) {{
  rotateWebhookSecret(id: $id) {{ webhookEndpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ code message field }} }}
}}
"""
DELETE_ENDPOINT = """
mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId userErrors { code message field } } }
"""
DELIVERY_FIELDS = "id messageId eventType status attempts responseStatus lastError nextAttemptAt createdAt"
REDELIVER = f"""
mutation Redeliver($id: ID!) {{
  redeliverWebhook(deliveryId: $id) {{ webhookDelivery {{ {DELIVERY_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
ENDPOINTS = f"""
query Endpoints($status: WebhookDeliveryStatus, $first: Int, $after: String) {{
  webhookEndpoints {{
    {ENDPOINT_FIELDS}
    deliveries(status: $status, first: $first, after: $after) {{
      totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {DELIVERY_FIELDS} }} }}
    }}
  }}
}}
"""
EVENT_TYPES = "query { webhookEventTypes }"


class VerificationError(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: datetime | None = None) -> dict[str, Any]:
    """What a receiver runs (the spec's algorithm): the JSON body, or raise."""
    headers = {k.lower(): v for k, v in headers.items()}
    msg_id, timestamp, signatures = (
        headers.get("webhook-id"),
        headers.get("webhook-timestamp"),
        headers.get("webhook-signature"),
    )
    if not (msg_id and timestamp and signatures):
        raise VerificationError("missing required headers")
    sent = datetime.fromtimestamp(float(timestamp), tz=UTC)
    now = now or datetime.now(UTC)
    if sent < now - TOLERANCE or sent > now + TOLERANCE:
        raise VerificationError("timestamp outside the tolerance")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{timestamp}.{body.decode()}".encode(), hashlib.sha256).digest()
    for versioned in signatures.split(" "):
        version, _, signature = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(expected, base64.b64decode(signature)):
            return json.loads(body)
    raise VerificationError("no matching signature")


class Received:
    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body
        self.at = time.monotonic()

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


Answer = Callable[[Received], Awaitable[Response] | Response]


class Receiver:
    """A webhook receiver on 127.0.0.1. `answer` decides each response
    (default 200 "ok"); `requests` is everything it was sent, in order."""

    def __init__(self, answer: Answer | None = None, port: int | None = None) -> None:
        self.answer = answer
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        received = Received(dict(request.headers), await request.body())
        self.requests.append(received)
        response: Any = PlainTextResponse("ok")
        if self.answer is not None:
            response = self.answer(received)
            if asyncio.iscoroutine(response):
                response = await response
        await response(scope, receive, send)

    async def start(self) -> Receiver:
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", loop="none"
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.get_running_loop().create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            self.server.force_exit = True
            await asyncio.wait_for(self.task, timeout=15)
            self.server = None

    def ids(self) -> list[str]:
        return [r.id for r in self.requests]

    def types(self) -> list[str]:
        return [r.json["type"] for r in self.requests]

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.requests)} of {count} request(s) received: {self.types()}")
            await asyncio.sleep(0.05)
        return self.requests


async def create_endpoint(
    gql: Any, token: str, url: str, event_types: list[str] | None = None
) -> tuple[dict[str, Any], str]:
    variables: dict[str, Any] = {"input": {"url": url}}
    if event_types is not None:
        variables["input"]["eventTypes"] = event_types
    payload = (await gql.ok(CREATE_ENDPOINT, variables, token=token))["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    return payload["webhookEndpoint"], payload["secret"]


async def deliveries(gql: Any, token: str, **variables: Any) -> dict[str, Any]:
    """The first endpoint's delivery log (newest first)."""
    data = await gql.ok(ENDPOINTS, variables, token=token)
    return data["webhookEndpoints"][0]["deliveries"]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


async def quiet_endpoint_with_a_delivery(gql: Any, admin_token: str) -> dict[str, str]:
    """An endpoint (disabled, so its rows stay put) with one delivery in its
    log: the records the named-id guard tries from another workspace."""
    from revgraph.models.webhooks import WebhookDelivery
    from revgraph.resolvers.ids import encode_id, pk_of
    from tests.graph.documents import create_contact

    # Port 9 (discard) on loopback: refused at once, a quick failed attempt.
    endpoint, _ = await create_endpoint(gql, admin_token, "http://127.0.0.1:9/hooks", ["contact.created"])
    endpoint_pk = pk_of(endpoint["id"], "WebhookEndpoint")
    await create_contact(gql, admin_token, name="Webhook", email="webhook@cliente.com")

    async def attempted() -> bool:
        return await WebhookDelivery.filter(endpoint_id=endpoint_pk, attempts__gte=1).exists()

    await eventually(attempted, what="the first attempt")
    disabled = await gql.ok(
        UPDATE_ENDPOINT, {"id": endpoint["id"], "input": {"enabled": False}}, token=admin_token
    )
    assert disabled["updateWebhookEndpoint"]["userErrors"] == []
    row = await WebhookDelivery.get(endpoint_id=endpoint_pk)
    return {"webhook_endpoint": endpoint["id"], "webhook_delivery": encode_id("WebhookDelivery", row.id)}


class Dribbler:
    """A receiver at the socket level that answers 200 slowly: in "headers"
    mode one response header every `pause` seconds, in "body" mode the
    headers at once and then the body a byte every `pause` seconds. Each
    read of the client waits `pause` at most, the whole answer takes
    `pieces * pause`. `finished` counts the answers it wrote to the end."""

    def __init__(self, mode: str, pause: float, pieces: int) -> None:
        assert mode in ("headers", "body")
        self.mode, self.pause, self.pieces = mode, pause, pieces
        self.port = free_port()
        self.connections = 0
        self.finished = 0
        self.server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self) -> Dribbler:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"content-length: *(\d+)", head, re.I)
            await reader.readexactly(int(length.group(1)) if length else 0)
            writer.write(b"HTTP/1.1 200 OK\r\n")
            if self.mode == "headers":
                for i in range(self.pieces):
                    await writer.drain()
                    await asyncio.sleep(self.pause)
                    writer.write(f"x-slow-{i}: {i}\r\n".encode())
                writer.write(b"content-length: 2\r\n\r\nok")
            else:
                writer.write(f"content-length: {self.pieces}\r\n\r\n".encode())
                for _ in range(self.pieces):
                    await writer.drain()
                    await asyncio.sleep(self.pause)
                    writer.write(b".")
            await writer.drain()
            self.finished += 1
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
