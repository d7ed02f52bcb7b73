"""What the inbox intake benchmarks share (inbox_intake.py and
inbox_latency.py): the seeded inbox and one receiveMessage, timed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from distribution_common import Api, Workspace, create_queue, seed_workspace

# Of the messages, those from a sender who wrote before.
RETURNING_SHARE = 0.3
# Throughput and latency senders never meet: latency's are new contacts.
LATENCY_SENDERS = 500_000
CREATE_SLA_POLICY = """
mutation($input: SlaPolicyInput!) { createSlaPolicy(input: $input) { slaPolicy { id } userErrors { code message field } } }
"""
CREATE_INBOX = """
mutation($input: InboxInput!) { createInbox(input: $input) { inbox { id } userErrors { code message field } } }
"""
RECEIVE = """
mutation($input: ReceiveMessageInput!) {
  receiveMessage(input: $input) {
    message { id } conversation { id assignee { id } } userErrors { code message field }
  }
}
"""


@dataclass
class Inbox:
    id: str
    workspace: Workspace


async def seed_inbox(api: Api, agents: int) -> Inbox:
    """A workspace whose WhatsApp inbox (with an SLA policy) routes through
    an OFFLINE ROUND_ROBIN queue of every agent."""
    workspace = await seed_workspace(api, agents=agents, log_in_agents=True)
    token = workspace.admin.token
    queue_id = await create_queue(api, workspace, name="Roleta WhatsApp", strategy="ROUND_ROBIN")
    policy = await api.ok(
        CREATE_SLA_POLICY,
        {
            "input": {
                "name": "Atendimento padrão",
                "firstResponseMinutes": 15,
                "nextResponseMinutes": 30,
                "resolutionMinutes": 1440,
                "businessHoursOnly": False,
            }
        },
        token=token,
    )
    inbox = await api.ok(
        CREATE_INBOX,
        {
            "input": {
                "name": "WhatsApp Vendas",
                "channel": "WHATSAPP",
                "queueId": queue_id,
                "slaPolicyId": policy["createSlaPolicy"]["slaPolicy"]["id"],
            }
        },
        token=token,
    )
    return Inbox(inbox["createInbox"]["inbox"]["id"], workspace)


def sender_input(sender: int, returning: bool) -> dict[str, Any]:
    """A WhatsApp sender; a returning one types the same phone differently."""
    digits = f"{sender:08d}"
    if returning:
        return {"phone": f"(11) 9{digits[:4]}-{digits[4:]}"}
    return {"name": f"Cliente {sender}", "phone": f"+55 11 9{digits[:4]}-{digits[4:]}"}


@dataclass
class Answer:
    sender: int
    returning: bool
    external_id: str
    sent: float  # perf_counter when sent
    seconds: float
    message_id: str | None = None
    conversation_id: str | None = None
    assignee_id: str | None = None
    error: str | None = None

    @property
    def answered(self) -> float:
        """perf_counter of the answer: after the intake's commit."""
        return self.sent + self.seconds


async def receive(
    api: Api, token: str, inbox_id: str, sender: int, external_id: str, *, returning: bool
) -> Answer:
    variables = {
        "input": {
            "inboxId": inbox_id,
            "from": sender_input(sender, returning),
            "body": "Oi! O apartamento da Rua Harmonia ainda está disponível?",
            "externalId": external_id,
        }
    }
    sent = time.perf_counter()
    try:
        data = (await api.ok(RECEIVE, variables, token=token))["receiveMessage"]
    except Exception as error:
        return Answer(
            sender, returning, external_id, sent, time.perf_counter() - sent, error=repr(error)[:300]
        )
    assignee = data["conversation"]["assignee"]
    return Answer(
        sender,
        returning,
        external_id,
        sent,
        time.perf_counter() - sent,
        data["message"]["id"],
        data["conversation"]["id"],
        assignee["id"] if assignee else None,
    )
