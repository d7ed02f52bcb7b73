"""The demo workspace's inbox: a WhatsApp number routed through the general
roleta with an SLA in business hours (São Paulo), a portal integration on
the API channel, canned responses, an approved template, and a day of
conversations — some answered, one waiting past its window, one resolved —
all through the same use cases as the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from revgraph.models.distribution import Queue
from revgraph.models.inbox import Conversation
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.inbox import canned_responses, conversations, intake, replies, setup, templates

if TYPE_CHECKING:
    from revgraph.web.demo import Demo

CANNED = [
    ("ola", "Saudação", "Olá! Aqui é da Horizonte Imóveis. Como posso ajudar?"),
    (
        "visita",
        "Agendar visita",
        "Podemos agendar uma visita ao decorado. Qual dia e horário ficam bons para você?",
    ),
    (
        "documentos",
        "Documentos para análise",
        "Para a análise de crédito, envie RG, CPF, comprovante de renda e de residência.",
    ),
]
# Leads of the demo write on WhatsApp: (what they wrote, hours ago,
# answered by the assignee). The last one is resolved.
CHATS = [
    ("Oi! Vi o anúncio do Reserva Ipê, ainda tem unidade de 2 quartos?", 0.3, False),
    ("Boa tarde, qual o valor do condomínio?", 1.5, True),
    ("Vocês aceitam FGTS na entrada?", 3, True),
    ("Quero agendar uma visita no sábado", 5, False),
    ("Tem vaga de garagem coberta?", 8, True),
    ("Me manda a tabela de preços, por favor", 30, False),
    ("Obrigada pelo atendimento!", 2, True),
]


async def add_inbox(demo: Demo) -> None:
    ctx = demo.admin_ctx
    workspace_id = ctx.require_actor().workspace_id
    policy = await setup.create_sla_policy(
        ctx,
        {
            "name": "Atendimento comercial",
            "first_response_minutes": 15,
            "next_response_minutes": 30,
            "resolution_minutes": 8 * 60,
            "business_hours_only": True,
            "warn_before_minutes": 5,
        },
    )
    week = [{"weekday": day, "opens": "08:00", "closes": "18:00"} for day in range(1, 6)]
    queue = await Queue.filter(workspace_id=workspace_id, name="Roleta geral").first()
    whatsapp = await setup.create_inbox(
        ctx,
        {
            "name": "WhatsApp Vendas",
            "channel": "WHATSAPP",
            "queue_id": encode_id("Queue", queue.id) if queue else None,
            "sla_policy_id": encode_id("SlaPolicy", policy.id),
            "business_hours": {
                "timezone": "America/Sao_Paulo",
                "days": [*week, {"weekday": 6, "opens": "09:00", "closes": "13:00"}],
                "holidays": ["2026-12-25", "2027-01-01"],
            },
        },
    )
    await setup.create_inbox(ctx, {"name": "Portal imobiliário (API)", "channel": "API"})
    await templates.upsert_message_template(
        ctx,
        encode_id("Inbox", whatsapp.id),
        {
            "name": "retomada_contato",
            "language": "pt_BR",
            "body": "Olá {{1}}, tudo bem? Ainda tem interesse no {{2}}?",
        },
    )
    for short_code, title, body in CANNED:
        await canned_responses.create_canned_response(
            ctx, {"short_code": short_code, "title": title, "body": body}
        )
    now = datetime.now(UTC)
    done: Conversation | None = None
    writers = [c for c in demo.contacts if c.phone][: len(CHATS)]
    for index, ((body, hours_ago, answered), contact) in enumerate(zip(CHATS, writers, strict=False)):
        at = now - timedelta(hours=hours_ago)
        received = await intake.receive(
            demo.settings,
            ctx.require_actor(),
            whatsapp,
            intake.Sender(name=contact.name, email=None, phone=contact.phone, external_id=contact.phone[1:]),
            body=body,
            external_id=f"demo-wamid-{index}",
            at=at,
        )
        conversation = received.conversation
        if answered and conversation.assignee_id is not None:
            agent_ctx = demo.as_user(conversation.assignee_id)
            await replies.send_message(
                agent_ctx,
                {"conversation_id": encode_id("Conversation", conversation.id), "body": CANNED[0][2]},
            )
        if index == len(CHATS) - 1:
            done = conversation
    # The thanked one is done.
    if done is not None and done.assignee_id is not None:
        await conversations.resolve_conversation(
            demo.as_user(done.assignee_id), encode_id("Conversation", done.id)
        )
