"""Bot flows through the API, waiting for the worker, and the thread read
back, for the chatbot tests."""

from __future__ import annotations

from typing import Any

from revgraph.models.chatbot import BotSession
from revgraph.models.inbox import Message
from revgraph.resolvers.ids import pk_of

SET_FLOW = """
mutation($inboxId: ID!, $input: BotFlowInput!) {
  setInboxFlow(inboxId: $inboxId, input: $input) {
    flow { version definition { start nodes { id kind } } }
    userErrors { code message field }
  }
}
"""
REMOVE_FLOW = """
mutation($inboxId: ID!) { removeInboxFlow(inboxId: $inboxId) { flow { version } userErrors { code field } } }
"""
INBOX_FLOW = "query { inboxes { id flow { version definition { start handOffKeywords nodes { id } } } } }"
BOT = """
query($id: ID!) {
  conversation(id: $id) {
    status assignee { id }
    bot { flowVersion state currentNodeId currentNodeKind answers retries handOffReason }
    messages(first: 100) { edges { node { kind direction body status authorLabel author { id } } } }
  }
}
"""
HAND_OFF = """
mutation($id: ID!, $reason: String) {
  handOffToHuman(id: $id, reason: $reason) { conversation { status assignee { id } } userErrors { code field } }
}
"""


async def set_flow(gql: Any, token: str, inbox_id: str, flow: dict[str, Any]) -> dict[str, Any]:
    payload = (await gql.ok(SET_FLOW, {"inboxId": inbox_id, "input": flow}, token=token))["setInboxFlow"]
    assert payload["userErrors"] == [], payload
    return payload["flow"]


async def settle() -> None:
    """Wait until the worker has run everything sent so far (the bot and
    the sends its messages cause)."""
    from revgraph.tasks.broker import EmbeddedBroker, broker

    if isinstance(broker, EmbeddedBroker):
        await broker.join_all(timeout=30)
    else:
        from tests.conftest import worker_idle

        await worker_idle()


async def bot_view(gql: Any, token: str, conversation_id: str) -> dict[str, Any]:
    return (await gql.ok(BOT, {"id": conversation_id}, token=token))["conversation"]


def thread(view: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(kind, direction, body) of each message, oldest first."""
    return [(e["node"]["kind"], e["node"]["direction"], e["node"]["body"]) for e in view["messages"]["edges"]]


def said(view: dict[str, Any]) -> list[str]:
    """What the contact and the bot said (TEXT messages), oldest first."""
    return [body for kind, _, body in thread(view) if kind == "TEXT"]


async def bot_rows(conversation_id: str) -> tuple[BotSession | None, list[Message]]:
    """The bot's state row and the bot's messages, read from the database."""
    pk = pk_of(conversation_id, "Conversation")
    session = await BotSession.filter(conversation_id=pk).first()
    messages = await Message.filter(conversation_id=pk, author_label="bot").order_by("id")
    return session, list(messages)


SIMPLE_FLOW: dict[str, Any] = {
    "start": "ola",
    "nodes": [
        {"id": "ola", "kind": "MESSAGE", "text": "Olá! Sou o assistente virtual.", "next": "menu"},
        {
            "id": "menu",
            "kind": "QUESTION",
            "text": "Você quer comprar ou alugar?",
            "options": [{"label": "Comprar", "next": "email"}, {"label": "Alugar", "next": "email"}],
        },
        {
            "id": "email",
            "kind": "COLLECT",
            "field": "EMAIL",
            "text": "Qual é o seu e-mail?",
            "next": "decide",
        },
        {
            "id": "decide",
            "kind": "CONDITION",
            "rules": [
                {
                    "source": "ANSWER",
                    "key": "menu",
                    "operator": "EQUALS",
                    "value": "comprar",
                    "next": "vendas",
                }
            ],
            "otherwise": "locacao",
        },
        {
            "id": "vendas",
            "kind": "HANDOFF",
            "text": "Vou chamar um corretor de vendas.",
            "reason": "Lead de compra",
        },
        {"id": "locacao", "kind": "HANDOFF", "reason": "Lead de locação"},
    ],
}
