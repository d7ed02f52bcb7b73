"""Fixed inbox data on top of bench/seed.py's workspace: three inboxes
(WhatsApp with business hours and a 24 h reply window, a webchat, an
e-mail address), an SLA policy on the first two, and one conversation per
contact (10,000) with 1–8 messages each, generated from a seeded RNG and
inserted in bulk through the models.

The rows keep what the use cases derive consistent: each message moves
the conversation's clocks as resolvers/inbox/conversations.add_message
does (last message, last and first inbound, the contact's wait, the first
reply, the SLA facts "inbound" and "reply"), resolved and snoozed ones
carry their "resolve" / "snooze" fact. The stored SLA columns (state, due,
next check: for filtering by SLA state, ordering by due date and the SLA
timer) stay empty: the list measured computes `sla` from the facts when
read and uses none of them."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from revgraph.models.inbox import Conversation, Inbox, Message, SlaPolicy
from revgraph.resolvers.inbox import sla
from revgraph.resolvers.numbering import reserve_numbers

SEED = 11
BATCH = 1000
BUSINESS_HOURS = {
    "timezone": "America/Sao_Paulo",
    "days": [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(1, 6)]
    + [{"weekday": 6, "opens": "08:00", "closes": "12:00"}],
    "holidays": ["2026-12-25", "2027-01-01"],
}
# (name, channel, share of conversations, reply window, business hours, with the SLA policy)
INBOXES = [
    ("WhatsApp Vendas", "WHATSAPP", 60, 24, BUSINESS_HOURS, True),
    ("Chat do site", "WEBCHAT", 25, None, None, True),
    ("contato@bench.example", "EMAIL", 15, None, None, False),
]
# (status, weight)
STATUSES = [("OPEN", 55), ("PENDING", 5), ("SNOOZED", 5), ("RESOLVED", 35)]
INBOUND = [
    "Oi, tudo bem? Vi o anúncio do apartamento.",
    "Ainda está disponível?",
    "Aceita financiamento?",
    "Qual o valor do condomínio?",
    "Posso visitar no sábado?",
]
OUTBOUND = [
    "Olá! Está sim, posso te mandar mais fotos?",
    "Aceita, trabalhamos com todos os bancos.",
    "O condomínio é R$ 850.",
    "Sábado às 10h fica bom?",
]


@dataclass
class SeededInbox:
    inboxes: int
    conversations: int
    messages: int
    seconds: float


def _conversation(
    rng: random.Random,
    now: datetime,
    workspace_id: int,
    number: int,
    inbox: Inbox,
    contact_id: int,
    agent_ids: list[int],
) -> tuple[Conversation, list[Message]]:
    """One conversation and its messages, clocks moved message by message."""
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    started = now - timedelta(minutes=rng.randrange(60, 60 * 24 * 30))
    assignee = None if status == "PENDING" or rng.random() < 0.1 else rng.choice(agent_ids)
    conversation = Conversation(
        workspace_id=workspace_id,
        number=number,
        inbox_id=inbox.id,
        contact_id=contact_id,
        status=status,
        priority="MEDIUM",
        priority_rank=1,
        assignee_id=assignee,
        tags=[],
        sla_facts=[],
        sla_recorded=[],
        created_at=started,
    )
    messages = []
    at = started
    for index in range(rng.randrange(1, 9)):
        inbound = index == 0 or assignee is None or rng.random() < 0.55
        messages.append(
            Message(
                workspace_id=workspace_id,
                inbox_id=inbox.id,
                direction="INBOUND" if inbound else "OUTBOUND",
                kind="TEXT",
                body=rng.choice(INBOUND if inbound else OUTBOUND),
                author_id=None if inbound else assignee,
                status="RECEIVED" if inbound else "DELIVERED",
                external_id=f"wamid.seed.{number}.{index}" if inbound else None,
                at=at,
            )
        )
        conversation.last_message_at = at
        if inbound:
            conversation.last_inbound_at = at
            conversation.first_inbound_at = conversation.first_inbound_at or at
            if conversation.waiting_since is None:
                conversation.waiting_since = at
                sla.note(conversation, "inbound", at)
        elif conversation.waiting_since is not None:
            conversation.waiting_since = None
            sla.note(conversation, "reply", at)
            conversation.first_reply_at = conversation.first_reply_at or at
        at += timedelta(minutes=rng.randrange(1, 240))
    closing = min(at, now)
    if status == "RESOLVED":
        conversation.resolved_at = closing
        sla.note(conversation, "resolve", closing)
    elif status == "SNOOZED":
        conversation.snoozed_until = now + timedelta(hours=rng.randrange(1, 72))
        sla.note(conversation, "snooze", closing)
    return conversation, messages


async def seed_inbox(workspace_id: int, agent_ids: list[int], contact_ids: list[int]) -> SeededInbox:
    """Inboxes, the policy and one conversation per contact (database open, seed.py's data in)."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    policy = await SlaPolicy.create(
        workspace_id=workspace_id,
        name="Atendimento padrão",
        first_response_minutes=15,
        next_response_minutes=30,
        resolution_minutes=1440,
        business_hours_only=True,
        warn_before_minutes=15,
    )
    inboxes = [
        await Inbox.create(
            workspace_id=workspace_id,
            name=name,
            channel=channel,
            reply_window_hours=window,
            business_hours=hours,
            sla_policy_id=policy.id if with_policy else None,
            settings={},
        )
        for name, channel, _, window, hours, with_policy in INBOXES
    ]
    weights = [share for _, _, share, *_ in INBOXES]
    first = await reserve_numbers(workspace_id, "conversation", len(contact_ids))
    conversations: list[Conversation] = []
    threads: list[list[Message]] = []
    for offset, contact_id in enumerate(contact_ids):
        inbox = rng.choices(inboxes, weights=weights)[0]
        conversation, messages = _conversation(
            rng, now, workspace_id, first + offset, inbox, contact_id, agent_ids
        )
        conversations.append(conversation)
        threads.append(messages)
    await Conversation.bulk_create(conversations, batch_size=BATCH)
    ids = await Conversation.filter(workspace_id=workspace_id).order_by("number").values_list("id", flat=True)
    rows = []
    for conversation_id, messages in zip(ids, threads, strict=True):
        for message in messages:
            message.conversation_id = conversation_id
            rows.append(message)
    await Message.bulk_create(rows, batch_size=BATCH)
    return SeededInbox(len(inboxes), len(conversations), len(rows), time.perf_counter() - started)
