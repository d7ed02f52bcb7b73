"""Connected WhatsApp inboxes and Cloud API webhook deliveries (the real
JSON shapes, signed like Meta signs them) for the WhatsApp tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

from tests.distribution.support import eventually
from tests.inbox.support import CREATE_INBOX

APP_SECRET = "9f2c1e5b7a3d4c6e8f0a1b2c3d4e5f60"
WA_ID = "5511987650001"


def credentials(phone_number_id: str, **more: str) -> dict[str, str]:
    return {
        "phoneNumberId": phone_number_id,
        "accessToken": "EAAG" + phone_number_id + "tokenXYZ123",
        "appSecret": APP_SECRET,
        "verifyToken": "verify-" + phone_number_id,
        **more,
    }


async def whatsapp_inbox(
    gql: Any, token: str, cloud_api: Any, *, queue_id: str | None = None
) -> dict[str, Any]:
    """A WHATSAPP inbox connected to a new number of the stand-in."""
    number = str(10**14 + secrets.randbelow(10**14))
    settings = credentials(number)
    cloud_api.numbers[number] = settings["accessToken"]
    data = await gql.ok(
        CREATE_INBOX,
        {
            "input": {
                "name": f"WhatsApp {number[-4:]}",
                "channel": "WHATSAPP",
                "queueId": queue_id,
                "settings": settings,
            }
        },
        token=token,
    )
    payload = data["createInbox"]
    assert payload["userErrors"] == [], payload
    return {**payload["inbox"], "number": number, "settings": settings}


def wamid() -> str:
    return "wamid.HBgN" + uuid.uuid4().hex.upper()


def delivery(number: str, value: dict[str, Any]) -> dict[str, Any]:
    """One webhook delivery of a `messages` change for the number."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def inbound(
    number: str,
    message: dict[str, Any],
    *,
    wa_id: str = WA_ID,
    name: str = "Maria Cliente",
    at: int | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """A delivery carrying one message of the given type-specific fields."""
    return delivery(
        number,
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {"from": wa_id, "id": id or wamid(), "timestamp": str(at or int(time.time())), **message}
            ],
        },
    )


def text(number: str, body: str, **more: Any) -> dict[str, Any]:
    return inbound(number, {"type": "text", "text": {"body": body}}, **more)


def status(number: str, message_id: str, state: str, **more: Any) -> dict[str, Any]:
    entry = {
        "id": message_id,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": WA_ID,
        **more,
    }
    return delivery(number, {"statuses": [entry]})


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post(
    gql: Any, payload: Any, *, secret: str | None = APP_SECRET, headers: dict[str, str] | None = None
) -> Any:
    """POST a delivery to /webhooks/whatsapp, signed with `secret` (None: unsigned)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"content-type": "application/json", **(headers or {})}
    if secret is not None:
        all_headers["x-hub-signature-256"] = sign(body, secret)
    return await gql.http.post(f"{gql.server.url}/webhooks/whatsapp", content=body, headers=all_headers)


THREAD = """
query Thread($id: ID!) {
  conversation(id: $id) {
    id status canReply contact { id name phone }
    messages(first: 100) { edges { node { id direction kind body status externalId at templateName contentType error attachments { kind mediaId name mimeType size sha256 } } } }
  }
}
"""

CONVERSATIONS = """
query { conversations(first: 50) { edges { node { id inbox { id } contact { id name phone } } } } }
"""


async def conversations_of(gql: Any, token: str, inbox_id: str) -> list[dict[str, Any]]:
    edges = (await gql.ok(CONVERSATIONS, token=token))["conversations"]["edges"]
    return [e["node"] for e in edges if e["node"]["inbox"]["id"] == inbox_id]


async def thread(gql: Any, token: str, conversation_id: str) -> dict[str, Any]:
    seen = (await gql.ok(THREAD, {"id": conversation_id}, token=token))["conversation"]
    return {**seen, "messages": [e["node"] for e in seen["messages"]["edges"]]}


async def only_thread(
    gql: Any, token: str, inbox_id: str, count: int, timeout: float = 10.0
) -> dict[str, Any]:
    """The inbox's one conversation once it holds `count` messages."""

    async def ready() -> dict[str, Any] | None:
        found = await conversations_of(gql, token, inbox_id)
        if len(found) != 1:
            return None
        seen = await thread(gql, token, found[0]["id"])
        return seen if len(seen["messages"]) >= count else None

    return await eventually(ready, timeout)


async def stored_messages(inbox_id: int) -> list[Any]:
    from revgraph.models.inbox import Message

    return await Message.filter(inbox_id=inbox_id).order_by("at", "id")
