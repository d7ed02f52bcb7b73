"""Agents' replies leaving by e-mail: through the inbox's SMTP server (a
local aiosmtpd relay that records what RevGraph sends), with the headers
that thread them in the customer's mail client, retried on temporary
refusals and FAILED on permanent ones."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr

from revgraph.models.events import Event
from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.channels.email.sender import EmailChannelSender
from revgraph.resolvers.settings import Settings
from tests.email.support import (
    CUSTOMER,
    INBOX_ADDRESS,
    email_inbox,
    inbound_messages,
    mail,
    send_mail,
    settle,
)
from tests.inbox.automation_support import RESOLVE
from tests.inbox.support import send


async def _conversation_with_mail(gql, workspace, listener, relay, **settings) -> str:
    """An e-mail inbox whose replies go through the relay, and the customer's first mail."""
    await email_inbox(gql, workspace.token, relay.port, **settings)
    await send_mail(listener, mail())
    [row] = await inbound_messages()
    from revgraph.resolvers.ids import encode_id

    return encode_id("Conversation", row.conversation_id)


async def _outbound(status: str) -> Message:
    async def done():
        return await Message.filter(direction="OUTBOUND", status=status).first()

    return await settle(done)


async def test_a_reply_leaves_from_the_inbox_threaded_to_the_customers_mail(gql, workspace, listener, relay):
    conversation_id = await _conversation_with_mail(gql, workspace, listener, relay)
    # when an agent replies
    sent = await send(gql, workspace.token, conversation_id, "Olá Maria! Está disponível sim. Quer visitar?")
    assert sent["userErrors"] == []
    message = await _outbound("SENT")
    # then the relay got one e-mail from the inbox's address to the customer
    [(mail_from, recipients, email)] = relay.accepted
    assert (mail_from, recipients) == (INBOX_ADDRESS, [CUSTOMER])
    assert parseaddr(str(email["From"])) == ("Imobiliária Horizonte", INBOX_ADDRESS)
    assert parseaddr(str(email["To"])) == ("Maria Conceição", CUSTOMER)
    # answering her message, so her mail client threads it
    assert str(email["Subject"]) == "Re: Apartamento na Avenida São João"
    assert str(email["In-Reply-To"]) == "<primeira.1@cliente.example.com>"
    assert str(email["References"]) == "<primeira.1@cliente.example.com>"
    assert email.get_content().strip() == "Olá Maria! Está disponível sim. Quer visitar?"
    # with a Message-ID of its own at the inbox's domain, stored on the message
    message_id = str(email["Message-ID"])
    assert message_id.startswith("<rg.") and message_id.endswith("@imobiliaria.example.com>")
    assert message.external_id == message_id
    assert message.channel_data["messageId"] == message_id
    assert message.channel_data["inReplyTo"] == ["<primeira.1@cliente.example.com>"]

    # when the customer answers the reply, and the conversation was resolved in between
    await gql.ok(RESOLVE, {"id": conversation_id}, token=workspace.token)
    answer = mail(
        "Quero sim, sábado às 10h.\n\nEm sáb., 5 de dez. de 2026, Imobiliária Horizonte escreveu:\n> Quer visitar?",
        subject="Re: Apartamento na Avenida São João",
        message_id="<segunda.2@cliente.example.com>",
        in_reply_to=message_id,
        references=f"<primeira.1@cliente.example.com> {message_id}",
    )
    await send_mail(listener, answer)
    # then it opens a new conversation (a resolved one keeps its own history)...
    first, second = await inbound_messages()
    assert second.conversation_id != first.conversation_id
    assert second.body == "Quero sim, sábado às 10h."
    # ...and while that one is open, an answer to our reply joins it
    await send(gql, workspace.token, _id(second.conversation_id), "Combinado!")
    reply = await settle(lambda: Message.filter(body="Combinado!", status="SENT").first())
    [second_email] = [e for _, _, e in relay.accepted if e.get_content().strip() == "Combinado!"]
    assert str(second_email["In-Reply-To"]) == "<segunda.2@cliente.example.com>"
    assert str(second_email["References"]).split() == [
        "<primeira.1@cliente.example.com>",
        message_id,
        "<segunda.2@cliente.example.com>",
    ]
    from_colleague = mail(
        "Eu também vou.",
        sender="joao@trabalho.example.com",
        message_id="<terceira.3@trabalho.example.com>",
        in_reply_to=reply.external_id,
        references=reply.external_id,
    )
    await send_mail(listener, from_colleague, mail_from="joao@trabalho.example.com")
    third = (await inbound_messages())[-1]
    assert third.conversation_id == second.conversation_id


def _id(pk: int) -> str:
    from revgraph.resolvers.ids import encode_id

    return encode_id("Conversation", pk)


async def test_a_temporary_refusal_is_retried_until_the_relay_takes_it(gql, workspace, listener, relay):
    conversation_id = await _conversation_with_mail(gql, workspace, listener, relay)
    # given a relay that answers 451 once
    relay.answers = ["451 4.3.0 Servico temporariamente indisponivel"]
    # when an agent replies
    await send(gql, workspace.token, conversation_id, "Olá!")
    # then the send is tried again and the message ends SENT, delivered once
    message = await _outbound("SENT")
    assert relay.attempts == 2
    assert len(relay.accepted) == 1
    assert message.error is None
    assert str(relay.accepted[0][2]["Message-ID"]) == message.external_id


async def test_a_permanent_refusal_ends_failed_with_the_servers_words(gql, workspace, listener, relay):
    conversation_id = await _conversation_with_mail(gql, workspace, listener, relay)
    # given a relay that refuses the recipient for good
    relay.refuse_rcpt = "550 5.1.1 Caixa postal inexistente"
    # when an agent replies
    await send(gql, workspace.token, conversation_id, "Olá!")
    # then it is FAILED at the first refusal, with the server's answer, and the event says so
    message = await _outbound("FAILED")
    assert message.error == "SMTP 550: 5.1.1 Caixa postal inexistente"
    assert relay.attempts == 1 and relay.accepted == []
    events = await Event.filter(kind="message.updated").values_list("data", flat=True)
    assert [(e["status"], e["error"]) for e in events] == [("FAILED", message.error)]


async def test_without_its_own_server_an_inbox_replies_through_the_servers_or_fails_clearly(
    gql, workspace, listener, relay
):
    # given an inbox without its own SMTP server, and the customer's mail
    await email_inbox(gql, workspace.token)
    await send_mail(listener, mail())
    [row] = await inbound_messages()
    inbox = await Inbox.get()
    conversation = await Conversation.get(id=row.conversation_id)
    reply = Message(id=row.id + 1000, body="Olá!", at=datetime.now(UTC), conversation_id=conversation.id)
    sender = EmailChannelSender()
    # when the server has no REVGRAPH_SMTP_HOST either, the reply fails saying what to configure
    refused = await sender.send(Settings(secret_key="k"), inbox, conversation, reply)
    assert "settings.smtpHost" in refused.error and "REVGRAPH_SMTP_HOST" in refused.error
    assert relay.accepted == []
    # and when it has one, the reply leaves through it, from the inbox's address
    server_smtp = Settings(secret_key="k", smtp_host="127.0.0.1", smtp_port=relay.port)
    sent = await sender.send(server_smtp, inbox, conversation, reply)
    assert sent.error is None
    [(mail_from, recipients, email)] = relay.accepted
    assert (mail_from, recipients) == (INBOX_ADDRESS, [CUSTOMER])
    assert str(email["Message-ID"]) == sent.external_id
