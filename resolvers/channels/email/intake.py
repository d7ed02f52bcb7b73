"""E-mail intake: a message the SMTP listener accepted for an inbox's
address goes through the inbox's one intake (resolvers/inbox/intake.py),
idempotent by its Message-ID per inbox. The contact is its From: (address
and display name); it threads into the conversation whose message it
answers (In-Reply-To, then References, newest first, our replies' own
Message-IDs included), else the contact's unresolved conversation; the
message shows what the sender wrote this time and keeps the full source
(EmailSource) in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.models.inbox import EmailSource, Inbox, Message
from revgraph.resolvers.channels.email.parsing import ParsedEmail, parse_email
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.inbox.intake import MAX_BODY_BYTES, Received, Sender, receive
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import normalize_email

TRUNCATED = "\n\n[…] (mensagem longa: o texto completo está no original do e-mail)"
NO_TEXT = "(e-mail sem texto)"


class NoSender(DomainError):
    """Neither From: nor the envelope names an address to answer."""


async def inbox_for_address(address: str) -> Inbox | None:
    """The e-mail inbox with this address (any case), or None."""
    return await Inbox.filter(channel="EMAIL", channel_address=address.strip().lower()).first()


def _sender(parsed: ParsedEmail, envelope_from: str | None) -> Sender:
    for candidate in (parsed.from_address, envelope_from):
        if not candidate:
            continue
        try:
            email = normalize_email(candidate, ["from"])
        except DomainError:
            continue
        name = parsed.from_name if candidate == parsed.from_address else None
        return Sender(name=name, email=email, phone=None, external_id=None)
    raise NoSender("INVALID", _("The message names no sender address."), ["from"])


def _body(parsed: ParsedEmail) -> str:
    """What the message shows: the new text, at most 64 KiB; an e-mail with
    no text at all names its attachments."""
    text = parsed.visible or parsed.text
    if not text:
        names = [a["name"] for a in parsed.attachments if a.get("name")]
        return f"(e-mail sem texto; anexos: {', '.join(names)})" if names else NO_TEXT
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_BODY_BYTES:
        return text
    room = MAX_BODY_BYTES - len(TRUNCATED.encode("utf-8"))
    return encoded[:room].decode("utf-8", "ignore") + TRUNCATED


async def thread_of(inbox: Inbox, parsed: ParsedEmail) -> int | None:
    """The conversation of the newest message of this inbox the e-mail
    answers: In-Reply-To first, then References from the newest."""
    wanted = [*parsed.in_reply_to, *reversed(parsed.references)]
    if not wanted:
        return None
    rows = await Message.filter(inbox_id=inbox.id, external_id__in=wanted).values_list(
        "external_id", "conversation_id"
    )
    found = dict(rows)
    return next((found[w] for w in wanted if w in found), None)


async def deliver_email(
    settings: Settings, inbox: Inbox, source: bytes, *, envelope_from: str | None = None
) -> Received:
    """Store one received e-mail in `inbox` (see the module's rules): one
    transaction, its events dispatched after commit. A repeated Message-ID
    returns the stored message (created False). NoSender when no address
    could be answered."""
    parsed = parse_email(source)
    sender = _sender(parsed, envelope_from)

    async def keep(message: Message) -> None:
        await EmailSource.create(message_id=message.id, source=source, size=len(source))

    return await receive(
        settings,
        None,
        inbox,
        sender,
        body=_body(parsed),
        external_id=parsed.message_id,
        at=datetime.now(UTC),
        thread_id=await thread_of(inbox, parsed),
        content_type="email",
        attachments=parsed.attachments or None,
        channel_data=parsed.channel_data(),
        keep=keep,
    )
