"""Queues, contacts and captures through the API for the distribution tests."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

CREATE_QUEUE = """
mutation CreateQueue($input: QueueInput!) {
  createQueue(input: $input) {
    queue { id name mode strategy backlog members { user { id } weight capacity active } }
    userErrors { code message field }
  }
}
"""

DISTRIBUTE = """
mutation Distribute($input: DistributeInput!) {
  distribute(input: $input) {
    assignment { id status reason user { id } contact { id owner { id } } deal { id owner { id } } queue { id } }
    userErrors { code message field }
  }
}
"""

CAPTURE = """
mutation Capture($input: CaptureLeadInput!) {
  captureLead(input: $input) {
    contact { id name email phone owner { id } source }
    created
    deal { id owner { id } stage { name } }
    assignment { id status reason user { id } }
    userErrors { code message field }
  }
}
"""

CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) {
  createContact(input: $input) { contact { id owner { id } } userErrors { code message field } }
}
"""

QUEUE = "query { queues { id backlog } }"
SET_AVAILABILITY = (
    "mutation($online: Boolean!) { setAvailability(online: $online) { user { online } userErrors { code } } }"
)


async def create_queue(
    gql: Any,
    token: str,
    members: list[dict[str, Any]],
    *,
    strategy: str = "ROUND_ROBIN",
    mode: str = "OFFLINE",
    name: str = "Roleta SP",
) -> dict[str, Any]:
    data = await gql.ok(
        CREATE_QUEUE,
        {"input": {"name": name, "mode": mode, "strategy": strategy, "members": members}},
        token=token,
    )
    payload = data["createQueue"]
    assert payload["userErrors"] == [], payload
    return payload["queue"]


async def contact(gql: Any, token: str, name: str | None = None) -> str:
    name = name or f"Lead {uuid.uuid4().hex[:6]}"
    data = await gql.ok(CREATE_CONTACT, {"input": {"name": name}}, token=token)
    assert data["createContact"]["userErrors"] == [], data
    return data["createContact"]["contact"]["id"]


async def distribute(
    gql: Any, token: str, queue_id: str, *, contact_id: str | None = None, deal_id: str | None = None
) -> dict[str, Any]:
    data = await gql.ok(
        DISTRIBUTE, {"input": {"queueId": queue_id, "contactId": contact_id, "dealId": deal_id}}, token=token
    )
    return data["distribute"]


async def capture(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(CAPTURE, {"input": {"name": "Maria Souza", "source": "form", **fields}}, token=token)
    return data["captureLead"]


async def backlog(gql: Any, token: str, queue_id: str) -> int:
    queues = (await gql.ok(QUEUE, token=token))["queues"]
    return next(q["backlog"] for q in queues if q["id"] == queue_id)


async def eventually(check: Any, timeout: float = 5.0) -> Any:
    """Poll an async check until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
