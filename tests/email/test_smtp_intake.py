"""Mail arriving over SMTP at RevGraph's listener, sent with smtplib the way
a customer's mail server sends it."""

from __future__ import annotations

import asyncio
import base64
import smtplib
from email.message import EmailMessage

import pytest
from tortoise.exceptions import OperationalError

from revgraph.models.crm import Contact
from revgraph.models.inbox import Conversation, EmailSource, Message
from tests.email.support import (
    CUSTOMER,
    INBOX_ADDRESS,
    LISTENER_MAX_BYTES,
    email_inbox,
    inbound_messages,
    mail,
    send_mail,
    wire,
)
from tests.inbox.support import CONVERSATION, CONVERSATIONS


async def test_mail_to_an_inbox_address_opens_a_conversation_with_its_sender(gql, workspace, listener):
    # given an e-mail inbox
    inbox = await email_inbox(gql, workspace.token)
    # when a customer's server delivers a message to its address, in another case
    refused = await send_mail(listener, mail(to=INBOX_ADDRESS.title()), to=[INBOX_ADDRESS.title()])
    # then it was accepted for the inbox
    assert refused == {}
    # and a conversation of the inbox holds it, with the sender as the contact
    data = await gql.ok(CONVERSATIONS, token=workspace.token)
    [edge] = data["conversations"]["edges"]
    assert edge["node"]["contact"]["name"] == "Maria Conceição"
    found = (await gql.ok(CONVERSATION, {"id": edge["node"]["id"]}, token=workspace.token))["conversation"]
    assert found["inbox"]["id"] == inbox["id"]
    assert found["contact"]["email"] == CUSTOMER
    [message] = [e["node"] for e in found["messages"]["edges"]]
    assert (message["direction"], message["kind"], message["status"]) == ("INBOUND", "TEXT", "RECEIVED")
    assert message["body"] == "Olá, o apartamento da Avenida São João ainda está disponível?"
    assert message["externalId"] == "<primeira.1@cliente.example.com>"
    # and the channel's facts and the full source are kept with it
    [row] = await inbound_messages()
    assert row.content_type == "email"
    assert row.channel_data["subject"] == "Apartamento na Avenida São João"
    assert row.channel_data["from"] == {"name": "Maria Conceição", "email": CUSTOMER}
    assert row.channel_data["messageId"] == "<primeira.1@cliente.example.com>"
    source = await EmailSource.get(message_id=row.id)
    assert b"Subject: Apartamento na Avenida" in source.source
    assert source.size == len(source.source)


async def test_an_unknown_recipient_is_refused_550_and_nothing_is_stored(gql, workspace, listener):
    # given an e-mail inbox
    await email_inbox(gql, workspace.token)
    # when mail comes for an address that is no inbox's
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await send_mail(
            listener, mail(to="vendas@imobiliaria.example.com"), to=["vendas@imobiliaria.example.com"]
        )
    # then RCPT TO is refused with a clear permanent error
    code, text = refused.value.recipients["vendas@imobiliaria.example.com"]
    assert code == 550
    assert text.startswith(b"5.1.1 <vendas@imobiliaria.example.com>: endereco desconhecido")
    # and nothing was stored
    assert await Message.all().count() == 0
    assert await Contact.all().count() == 0


async def test_only_the_known_recipients_of_a_message_take_it(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    # when one message names the inbox and an unknown address
    refused = await send_mail(listener, mail(), to=[INBOX_ADDRESS, "ninguem@imobiliaria.example.com"])
    # then the unknown one is refused and the inbox has the message once
    assert list(refused) == ["ninguem@imobiliaria.example.com"]
    assert len(await inbound_messages()) == 1


async def test_the_size_limit_is_advertised_and_larger_messages_are_refused_552(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    big = wire(mail(("Linha de um e-mail comprido. " * 2 + "\n") * (LISTENER_MAX_BYTES // 50)))

    def talk(declare_size: bool) -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
            client.ehlo("mx.cliente.example.com")
            assert client.has_extn("size")
            assert int(client.esmtp_features["size"]) == LISTENER_MAX_BYTES
            if declare_size:
                return client.mail(CUSTOMER, [f"SIZE={len(big)}"])
            client.mail(CUSTOMER)
            client.rcpt(INBOX_ADDRESS)
            return client.data(big)

    # when the sender declares its size, MAIL FROM is refused; when it does not, DATA is
    declared = await asyncio.to_thread(talk, True)
    undeclared = await asyncio.to_thread(talk, False)
    assert declared[0] == 552
    assert undeclared[0] == 552
    # and nothing was stored
    assert await Message.all().count() == 0


async def test_a_reply_threads_into_its_conversation_by_references_whoever_sends_it(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    await send_mail(listener, mail())
    # when another address answers that message (In-Reply-To / References)
    reply = mail(
        "Sou o marido da Maria: podemos visitar no sábado?",
        subject="Re: Apartamento na Avenida São João",
        sender="João Conceição <joao@trabalho.example.com>",
        message_id="<resposta.2@trabalho.example.com>",
        in_reply_to="<primeira.1@cliente.example.com>",
        references="<primeira.1@cliente.example.com>",
    )
    await send_mail(listener, reply, mail_from="joao@trabalho.example.com")
    # then it joined the same conversation, and no contact was made for it
    first, second = await inbound_messages()
    assert second.conversation_id == first.conversation_id
    assert await Conversation.all().count() == 1
    assert await Contact.all().count() == 1
    assert second.channel_data["from"]["email"] == "joao@trabalho.example.com"
    # and a new e-mail of that address, answering nothing, is a conversation of its own
    await send_mail(
        listener,
        mail("Outro assunto", sender="joao@trabalho.example.com", message_id="<nova.3@trabalho.example.com>"),
        mail_from="joao@trabalho.example.com",
    )
    assert await Conversation.all().count() == 2


async def test_a_reply_shows_only_what_was_written_and_keeps_the_whole_source(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    body = (
        "Pode ser sábado às 10h.\n"
        "\n"
        "-- \n"
        "Maria Conceição\n"
        "(11) 98765-4321\n"
        "\n"
        "Em sex., 4 de dez. de 2026 às 18:00, Imobiliária Horizonte <\n"
        "contato@imobiliaria.example.com> escreveu:\n"
        "> Olá Maria, quer agendar uma visita?\n"
        ">\n"
        "> Em sex., 4 de dez. de 2026, Maria <maria.conceicao@cliente.example.com> escreveu:\n"
        ">> Ainda está disponível?\n"
    )
    sent = mail(body, subject="Re: Apartamento")
    await send_mail(listener, sent)
    [row] = await inbound_messages()
    assert row.body == "Pode ser sábado às 10h."
    # and the source is byte for byte what the server sent, quotes and signature included
    source = await EmailSource.get(message_id=row.id)
    assert source.source == wire(sent)


async def test_an_html_only_message_becomes_text_without_the_quoted_history(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    message = mail()
    message.set_content(
        "<html><head><style>p { color: red }</style></head><body>"
        "<div dir='ltr'>Quero <b>agendar</b> uma visita&nbsp;amanhã.<br>Obrigada!</div>"
        "<div class='gmail_quote'><div>On Fri, Dec 4, 2026 at 6:00 PM Imobiliária &lt;contato@imobiliaria.example.com&gt; wrote:</div>"
        "<blockquote>Olá Maria, quer agendar?</blockquote></div></body></html>",
        subtype="html",
    )
    await send_mail(listener, message)
    [row] = await inbound_messages()
    assert row.body == "Quero agendar uma visita amanhã.\nObrigada!"
    assert row.channel_data["bodyFormat"] == "html"


async def test_plain_text_is_preferred_to_its_html_alternative(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    message = mail("Versão em texto")
    message.add_alternative("<p>Versão em <i>HTML</i></p>", subtype="html")
    await send_mail(listener, message)
    [row] = await inbound_messages()
    assert (row.body, row.channel_data["bodyFormat"], row.attachments) == ("Versão em texto", "text", None)


async def test_attachments_are_recorded_with_name_type_and_size(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    message = mail("Segue a documentação.")
    pdf = b"%PDF-1.4\n" + b"0" * 2048
    photo = b"\xff\xd8\xff\xe0" + b"1" * 5000
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="Proposta de locação.pdf")
    message.add_attachment(photo, maintype="image", subtype="jpeg", filename="fachada.jpg")
    await send_mail(listener, message)
    [row] = await inbound_messages()
    assert row.body == "Segue a documentação."
    summary = [(a["name"], a["mimeType"], a["size"], a["kind"]) for a in row.attachments]
    assert summary == [
        ("Proposta de locação.pdf", "application/pdf", len(pdf), "document"),
        ("fachada.jpg", "image/jpeg", len(photo), "image"),
    ]


async def test_encoded_headers_and_latin1_bodies_keep_their_accents(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    # given a message as an old client writes it: RFC 2047 headers, an ISO-8859-1 body
    source = (
        b"From: =?ISO-8859-1?Q?Jos=E9_Ant=F4nio_Gon=E7alves?= <Jose@Cliente.example.com>\r\n"
        b"To: contato@imobiliaria.example.com\r\n"
        b"Subject: =?ISO-8859-1?B?" + base64.b64encode("Locação em São Paulo".encode("latin-1")) + b"?=\r\n"
        b"Message-ID: <latin.1@cliente.example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n"
        b"Ol=E1, gostaria de informa=E7=F5es sobre a loca=E7=E3o.\r\n"
    )
    await send_mail(listener, source, mail_from="jose@cliente.example.com")
    [row] = await inbound_messages()
    assert row.body == "Olá, gostaria de informações sobre a locação."
    assert row.channel_data["subject"] == "Locação em São Paulo"
    contact = await Contact.get(id=(await Conversation.get(id=row.conversation_id)).contact_id)
    assert (contact.name, contact.email) == ("José Antônio Gonçalves", "jose@cliente.example.com")


async def test_the_same_message_id_is_stored_once(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    # when a server delivers the same message twice (it missed our 250)
    await send_mail(listener, mail())
    again = await send_mail(listener, mail())
    # then both were accepted and it is stored once
    assert again == {}
    assert len(await inbound_messages()) == 1
    assert await EmailSource.all().count() == 1
    # and a message without a Message-ID is known by its content
    anonymous = mail("Sem identificador", message_id=None)
    await send_mail(listener, anonymous)
    await send_mail(listener, anonymous)
    assert len(await inbound_messages()) == 2


async def test_a_failed_store_answers_451_keeps_nothing_and_a_retry_succeeds(
    gql, workspace, listener, monkeypatch
):
    await email_inbox(gql, workspace.token)

    # given a database that fails after the message row was written (the source's insert)
    async def down(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(EmailSource, "create", down)
    # when the mail arrives
    with pytest.raises(smtplib.SMTPDataError) as failed:
        await send_mail(listener, mail())
    # then the sender is told to try again later, and no part of it stayed
    assert failed.value.smtp_code == 451
    assert failed.value.smtp_error.startswith(b"4.3.0")
    assert await Message.all().count() == 0
    assert await Conversation.all().count() == 0
    assert await Contact.all().count() == 0
    # and once the database is back, the sender's retry is stored
    monkeypatch.undo()
    assert await send_mail(listener, mail()) == {}
    assert len(await inbound_messages()) == 1


def _without_from() -> EmailMessage:
    message = mail()
    del message["From"]
    return message


async def test_a_message_with_no_sender_address_falls_back_to_the_envelope(gql, workspace, listener):
    await email_inbox(gql, workspace.token)
    await send_mail(listener, _without_from(), mail_from="Envelope@Cliente.example.com")
    contact = await Contact.get()
    assert contact.email == "envelope@cliente.example.com"
