"""The webchat visitor (issue 12, "Webchat"): a signed token the browser
keeps, a returning visitor continuing their conversation with its
history, intake through the inbox's one door (idempotent by the visitor's
clientMessageId), agents' replies — never notes — live on the visitor's
socket, acknowledgements moving delivery status, and a visitor who only
ever sees their own conversation."""

from __future__ import annotations

from typing import Any

from tests.inbox.support import CONVERSATION, CONVERSATIONS, send
from tests.webchat.support import refused, visit, webchat_inbox


async def agent_sees(gql: Any, token: str, inbox_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(CONVERSATIONS, {"filter": {"inboxId": {"eq": inbox_id}}}, token=token)
    return [edge["node"] for edge in data["conversations"]["edges"]]


async def thread(gql: Any, token: str, conversation_id: str) -> list[dict[str, Any]]:
    found = (await gql.ok(CONVERSATION, {"id": conversation_id}, token=token))["conversation"]
    return [edge["node"] for edge in found["messages"]["edges"]]


async def test_a_first_visitor_gets_a_token_writes_and_the_agent_sees_a_webchat_conversation(
    gql, workspace, server
):
    # given a webchat inbox
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    # when a visitor without a token says hello
    async with visit(server, key) as visitor:
        # then they get a token, the widget's pt-BR defaults and no history
        assert visitor.token.startswith("v1.")
        assert visitor.ready["messages"] == []
        assert visitor.ready["widget"] == {
            "title": "Fale conosco",
            "greeting": "Olá! Como podemos ajudar?",
            "color": "#1F6FEB",
        }
        # when they write, twice with the same clientMessageId (a retry)
        first = await visitor.write("Oi, vocês atendem aos sábados?", "c-1")
        again = await visitor.write("Oi, vocês atendem aos sábados?", "c-1")
    # then the message is accepted once, as theirs
    assert first["type"] == "accepted"
    assert first["message"]["from"] == "visitor"
    assert again["message"]["id"] == first["message"]["id"]
    # and the agent's inbox holds one conversation of a new contact with one message
    [conversation] = await agent_sees(gql, workspace.token, inbox["id"])
    assert conversation["status"] == "OPEN"
    assert conversation["contact"]["name"].startswith("Visitante do site")
    messages = await thread(gql, workspace.token, conversation["id"])
    assert [(m["direction"], m["body"]) for m in messages] == [("INBOUND", "Oi, vocês atendem aos sábados?")]


async def test_a_returning_visitor_continues_their_conversation_and_reads_its_history(gql, workspace, server):
    # given a visitor who wrote, and an agent who replied and added a private note
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    async with visit(server, key) as visitor:
        token = visitor.token
        await visitor.write("Quero visitar o apartamento")
    [conversation] = await agent_sees(gql, workspace.token, inbox["id"])
    await send(gql, workspace.token, conversation["id"], "Claro! Qual dia?")
    await send(gql, workspace.token, conversation["id"], "cliente quente", kind="NOTE")
    # when the visitor comes back with their token
    async with visit(server, key, token) as back:
        # then they read their conversation, without the note
        assert [(m["from"], m["body"]) for m in back.ready["messages"]] == [
            ("visitor", "Quero visitar o apartamento"),
            ("agent", "Claro! Qual dia?"),
        ]
        assert back.ready["token"] == token
        # and what they write goes on the same conversation
        await back.write("Sábado às 10h")
    assert [c["id"] for c in await agent_sees(gql, workspace.token, inbox["id"])] == [conversation["id"]]
    bodies = [m["body"] for m in await thread(gql, workspace.token, conversation["id"])]
    assert bodies == ["Quero visitar o apartamento", "Claro! Qual dia?", "cliente quente", "Sábado às 10h"]


async def test_an_altered_token_or_another_inboxs_token_is_refused(gql, workspace, server):
    # given a visitor's genuine token of one inbox, and a second inbox
    inbox = await webchat_inbox(gql, workspace.token, name="Site")
    other = await webchat_inbox(gql, workspace.token, name="Loja")
    key = inbox["webchat"]["publicKey"]
    async with visit(server, key) as visitor:
        token = visitor.token
        await visitor.write("Olá")
    version, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["k"] = "someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    # when they present it altered, with another visitor's key, or to another inbox
    for bad, public_key in (
        (f"{version}.{payload}.{flipped}", key),
        (f"{version}.{forged_payload}.{signature}", key),
        ("not a token", key),
        (token, other["webchat"]["publicKey"]),
    ):
        code, reason = await refused(server, public_key, [{"type": "hello", "token": bad}])
        # then the socket is closed 4401 and nothing is read
        assert (code, reason) == (4401, "token de visitante inválido")
    # and the genuine one still works
    async with visit(server, key, token) as back:
        assert [m["body"] for m in back.ready["messages"]] == ["Olá"]
