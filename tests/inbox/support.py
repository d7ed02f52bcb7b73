"""Inboxes, messages and conversations through the API for the inbox tests."""

from __future__ import annotations

import uuid
from typing import Any

CREATE_INBOX = """
mutation CreateInbox($input: InboxInput!) {
  createInbox(input: $input) { inbox { id name channel replyWindowHours } userErrors { code message field } }
}
"""

CREATE_SLA_POLICY = """
mutation CreateSla($input: SlaPolicyInput!) {
  createSlaPolicy(input: $input) { slaPolicy { id } userErrors { code message field } }
}
"""

CONVERSATION_FIELDS = """
  id number status priority tags waitingSince lastMessageAt canReply replyWindowClosesAt createdAt
  inbox { id } contact { id name phone email } assignee { id } deal { id }
"""

MESSAGE_FIELDS = "id kind direction body status externalId clientMessageId at templateName author { id }"

RECEIVE = f"""
mutation Receive($input: ReceiveMessageInput!) {{
  receiveMessage(input: $input) {{
    message {{ {MESSAGE_FIELDS} }}
    conversation {{ {CONVERSATION_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

SEND = f"""
mutation Send($input: SendMessageInput!) {{
  sendMessage(input: $input) {{
    message {{ {MESSAGE_FIELDS} }}
    conversation {{ {CONVERSATION_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}
"""

CONVERSATION = f"""
query Conversation($id: ID!) {{
  conversation(id: $id) {{
    {CONVERSATION_FIELDS}
    messages {{ totalCount edges {{ node {{ {MESSAGE_FIELDS} }} }} }}
  }}
}}
"""

CONVERSATIONS = """
query Conversations($filter: ConversationFilter, $orderBy: [ConversationOrder!], $search: String, $first: Int, $after: String) {
  conversations(filter: $filter, orderBy: $orderBy, search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id number status priority tags assignee { id } contact { name } } }
  }
}
"""


async def create_inbox(
    gql: Any,
    token: str,
    *,
    channel: str = "API",
    queue_id: str | None = None,
    name: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    data = await gql.ok(
        CREATE_INBOX,
        {
            "input": {
                "name": name or f"Inbox {uuid.uuid4().hex[:6]}",
                "channel": channel,
                "queueId": queue_id,
                **more,
            }
        },
        token=token,
    )
    payload = data["createInbox"]
    assert payload["userErrors"] == [], payload
    return payload["inbox"]


async def receive(
    gql: Any,
    token: str,
    inbox_id: str,
    *,
    phone: str = "+5511987650001",
    body: str = "Olá, quero saber do apartamento",
    external_id: str | None = None,
    name: str | None = "Maria Cliente",
    at: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    sender: dict[str, Any] = {"name": name, "phone": phone}
    if email is not None:
        sender["email"] = email
    data = await gql.ok(
        RECEIVE,
        {
            "input": {
                "inboxId": inbox_id,
                "from": sender,
                "body": body,
                "externalId": external_id or f"ext-{uuid.uuid4().hex}",
                "at": at,
            }
        },
        token=token,
    )
    return data["receiveMessage"]


async def send(
    gql: Any, token: str, conversation_id: str, body: str = "Olá! Posso ajudar.", **more: Any
) -> dict[str, Any]:
    data = await gql.ok(
        SEND, {"input": {"conversationId": conversation_id, "body": body, **more}}, token=token
    )
    return data["sendMessage"]


async def conversation(gql: Any, token: str, conversation_id: str) -> dict[str, Any] | None:
    return (await gql.ok(CONVERSATION, {"id": conversation_id}, token=token))["conversation"]
