"""An incoming e-mail (RFC 5322 bytes, as the SMTP listener received them)
read with the stdlib `email` package (policy.default: RFC 2047 encoded
headers, RFC 2231 file names, every transfer encoding): who wrote it, the
threading headers, the text (text/plain preferred, HTML converted), the
new part of a reply, and its attachments' names, types and sizes. Nothing
here touches the database."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from revgraph.resolvers.channels.email.html_text import html_to_text
from revgraph.resolvers.channels.email.quotes import strip_quoted

MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# Threads can be long: the first reference (the thread's root) and the last ones are kept (RFC 5322 3.6.4).
MAX_REFERENCES = 20
MAX_ATTACHMENTS = 100
# What no stored text may hold (NUL: PostgreSQL cannot store it).
NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_name: str | None
    from_address: str | None
    reply_to: str | None
    to: list[str]
    cc: list[str]
    date: str | None
    # The whole readable text, and the part the sender wrote this time.
    text: str
    visible: str
    from_html: bool
    auto_submitted: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def channel_data(self) -> dict[str, Any]:
        """What threading, replies and audit need, for Message.channel_data."""
        return {
            "messageId": self.message_id,
            "inReplyTo": self.in_reply_to,
            "references": self.references,
            "subject": self.subject,
            "from": {"name": self.from_name, "email": self.from_address},
            "replyTo": self.reply_to,
            "to": self.to,
            "cc": self.cc,
            "date": self.date,
            "autoSubmitted": self.auto_submitted,
            "bodyFormat": "html" if self.from_html else "text",
        }


def line(value: str | None, max_length: int = 998) -> str:
    return NOT_IN_LINE.sub(" ", value or "").strip()[:max_length]


def message_ids(value: str | None) -> list[str]:
    return MESSAGE_ID.findall(value or "")


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, LookupError):
        # A header the parser cannot decode: its raw bytes as text.
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
        value = raw
    return None if value is None else str(value)


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header."""
    found: list[tuple[str, str]] = []
    try:
        header = message.get(name)
        groups = getattr(header, "addresses", None)
        if groups is not None:
            found = [(a.display_name, a.addr_spec) for a in groups]
    except (ValueError, IndexError, TypeError, LookupError, AttributeError):
        found = []
    if not found:
        raw = _header(message, name)
        if raw:
            found = [parseaddr(raw)]
    return [(line(n, 200), line(a, 320).lower()) for n, a in found if a and "@" in a]


def decoded_text(part: EmailMessage) -> str:
    """A text part's content in its charset; an unknown or lying charset
    falls back to UTF-8, then Latin-1 (which decodes any byte)."""
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeDecodeError, ValueError, KeyError, AssertionError):
        pass
    payload = part.get_payload(decode=True) or b""
    if not isinstance(payload, bytes):
        return str(payload)
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


def _attachment(part: EmailMessage) -> dict[str, Any]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        content = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        name = part.get_filename() or "mensagem.eml"
    else:
        content = part.get_payload(decode=True) or b""
        name = part.get_filename() or ""
    maintype = part.get_content_maintype()
    return {
        "kind": maintype if maintype in ("image", "audio", "video") else "document",
        "name": line(name, 255) or None,
        "mimeType": part.get_content_type(),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "contentId": line(_header(part, "Content-ID"), 255) or None,
        "inline": part.get_content_disposition() == "inline",
    }


def _leaves(part: EmailMessage) -> list[EmailMessage]:
    """The message's parts that hold content, in order; a forwarded
    message (message/rfc822) is one leaf, not its insides."""
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        leaves: list[EmailMessage] = []
        for child in part.iter_parts():
            leaves.extend(_leaves(child))  # type: ignore[arg-type]
        return leaves
    return [part]


def _is_body_text(part: EmailMessage) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    )


def parse_email(raw: bytes) -> ParsedEmail:
    """Read one message (see the module's rules). Never raises on bad mail:
    what cannot be read is left out."""
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    ids = message_ids(_header(message, "Message-ID"))
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()}@revgraph.invalid>"
    references = message_ids(_header(message, "References"))
    if len(references) > MAX_REFERENCES:
        references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    reply_to = _addresses(message, "Reply-To")
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    from_html = False
    if body is not None:
        text = decoded_text(body)  # type: ignore[arg-type]
        if body.get_content_type() == "text/html":
            text, from_html = html_to_text(text), True
    text = NOT_IN_TEXT.sub("", text.replace("\r\n", "\n")).strip()
    attachments = [
        _attachment(part) for part in _leaves(message) if part is not body and not _is_body_text(part)
    ][:MAX_ATTACHMENTS]
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=message_ids(_header(message, "In-Reply-To"))[:MAX_REFERENCES],
        references=references,
        subject=line(_header(message, "Subject")),
        from_name=(senders[0][0] or None) if senders else None,
        from_address=senders[0][1] if senders else None,
        reply_to=reply_to[0][1] if reply_to else None,
        to=[a for _, a in _addresses(message, "To")][:50],
        cc=[a for _, a in _addresses(message, "Cc")][:50],
        date=line(_header(message, "Date"), 100) or None,
        text=text,
        visible=strip_quoted(text) if text else "",
        from_html=from_html,
        auto_submitted=line(_header(message, "Auto-Submitted"), 100) or None,
        attachments=attachments,
    )
