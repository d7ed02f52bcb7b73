"""The EMAIL ChannelSender: an agent's reply leaves over SMTP (the inbox's
server, else the server's REVGRAPH_SMTP_*), From the inbox's address, To
whom the answered e-mail asks replies to go (Reply-To, else From, else the
contact's e-mail), Subject "Re: <its subject>", with In-Reply-To and
References (RFC 5322 3.6.4) so it threads in the customer's mail client.

Its Message-ID is fixed by the message (the same on every retry) and stored
as the message's external id and in its channel_data, so the customer's
answer to it threads back into the conversation. A temporary refusal (4xx,
a dropped connection) raises, and the task retries with backoff; a
permanent one (5xx) ends the message FAILED with the server's words."""

from __future__ import annotations

import hashlib
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.channels.email.parsing import MAX_REFERENCES
from revgraph.resolvers.channels.email.settings import outgoing_server
from revgraph.resolvers.inbox.senders import SendResult
from revgraph.resolvers.outgoing_email import EmailNotSent, send_over_smtp
from revgraph.resolvers.settings import Settings

REPLY_PREFIX = re.compile(r"^\s*(re|res|resp|enc|fw|fwd)\s*:", re.IGNORECASE)


def reply_subject(subject: str | None, conversation: Conversation) -> str:
    """ "Re: <subject>", once (a subject already answering is kept)."""
    subject = (subject or "").strip()
    if not subject:
        return f"Re: Conversa #{conversation.number}"
    return subject if REPLY_PREFIX.match(subject) and subject.lower().startswith("re") else f"Re: {subject}"


def outbound_message_id(settings: Settings, message: Message, address: str) -> str:
    """The reply's Message-ID: one per message, unguessable, at the inbox's domain."""
    token = hashlib.sha256(f"{settings.secret_key}:email:{message.id}".encode()).hexdigest()[:24]
    return f"<rg.{message.id}.{token}@{address.rpartition('@')[2]}>"


async def _answered(conversation: Conversation, before: Message) -> Message | None:
    """The contact's newest e-mail in the conversation before this reply."""
    return (
        await Message.filter(
            conversation_id=conversation.id, direction="INBOUND", content_type="email", id__lt=before.id
        )
        .order_by("-id")
        .first()
    )


def _references(answered: dict[str, Any]) -> list[str]:
    chain = [*(answered.get("references") or [])]
    if not chain and answered.get("inReplyTo"):
        chain = list(answered["inReplyTo"][:1])
    own = answered.get("messageId")
    if own and own not in chain:
        chain.append(own)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


class EmailChannelSender:
    async def send(
        self, settings: Settings, inbox: Inbox, conversation: Conversation, message: Message
    ) -> SendResult:
        address = inbox.channel_address
        if not address:
            return SendResult(error="A caixa de e-mail não tem endereço configurado (settings.address).")
        server = outgoing_server(inbox, settings)
        if server is None:
            return SendResult(
                error="Envio de e-mail não configurado: defina o servidor SMTP da caixa "
                "(settings.smtpHost) ou REVGRAPH_SMTP_HOST."
            )
        contact = await Contact.get(id=conversation.contact_id)
        answered_row = await _answered(conversation, message)
        answered = (answered_row.channel_data or {}) if answered_row else {}
        to = answered.get("replyTo") or (answered.get("from") or {}).get("email") or contact.email
        if not to:
            return SendResult(error="O contato não tem endereço de e-mail para a resposta.")
        message_id = outbound_message_id(settings, message, address)
        references = _references(answered)
        email = EmailMessage()
        email["From"] = formataddr(((inbox.settings or {}).get("fromName") or inbox.name, address))
        to_name = (
            (answered.get("from") or {}).get("name")
            if to == (answered.get("from") or {}).get("email")
            else None
        )
        email["To"] = Address(display_name=to_name or contact.name or "", addr_spec=to)
        email["Subject"] = reply_subject(answered.get("subject"), conversation)
        email["Date"] = format_datetime(message.at)
        email["Message-ID"] = message_id
        if answered.get("messageId"):
            email["In-Reply-To"] = answered["messageId"]
        if references:
            email["References"] = " ".join(references)
        email.set_content(message.body)
        sent = {
            "messageId": message_id,
            "inReplyTo": [answered["messageId"]] if answered.get("messageId") else [],
            "references": references,
            "subject": str(email["Subject"]),
            "to": [to],
        }
        try:
            await send_over_smtp(server, email)
        except EmailNotSent as refusal:
            if refusal.temporary:
                raise
            return SendResult(error=str(refusal), channel_data=sent)
        return SendResult(external_id=message_id, channel_data=sent)
