"""Inbox setup through the API, for the inbox tests: SLA policies and
inboxes created as an admin would, and the log's events read back."""

from __future__ import annotations

from typing import Any

from revgraph.models.events import Event

INBOX_FIELDS = """
id name channel replyWindowHours
queue { id name }
businessHours { timezone days { weekday opens closes } holidays }
slaPolicy { id name }
templates { name language body variableCount }
"""
POLICY_FIELDS = (
    "id name firstResponseMinutes nextResponseMinutes resolutionMinutes businessHoursOnly warnBeforeMinutes"
)
CREATE_POLICY = f"""
mutation($input: SlaPolicyInput!) {{
  createSlaPolicy(input: $input) {{ slaPolicy {{ {POLICY_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
CREATE_INBOX = f"""
mutation($input: InboxInput!) {{
  createInbox(input: $input) {{ inbox {{ {INBOX_FIELDS} }} userErrors {{ code message field }} }}
}}
"""


async def create_policy(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    spec = {"name": "Padrão", "firstResponseMinutes": 30, "businessHoursOnly": False, **fields}
    payload = (await gql.ok(CREATE_POLICY, {"input": spec}, token=token))["createSlaPolicy"]
    assert payload["userErrors"] == [], payload
    return payload["slaPolicy"]


async def create_inbox(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    spec = {"name": "WhatsApp Vendas", "channel": "WHATSAPP", **fields}
    payload = (await gql.ok(CREATE_INBOX, {"input": spec}, token=token))["createInbox"]
    assert payload["userErrors"] == [], payload
    return payload["inbox"]


async def events_of(kind_prefix: str) -> list[dict[str, Any]]:
    """The log's events whose kind starts with `kind_prefix`, oldest first."""
    rows = await Event.filter(kind__startswith=kind_prefix).order_by("id").values("kind", "summary", "data")
    return list(rows)
