"""What a Cloud API `messages` webhook value says, read into the inbox's
terms: inbound messages (every documented type: text, image, audio, video,
document, sticker, location, contacts, interactive button and list
replies, template quick-reply buttons, reactions, and the unsupported
ones) and delivery statuses (sent, delivered, read, failed with errors).

The provider's JSON stops here: the rest of the inbox sees a body, a
content type, attachments and channel facts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import phonenumbers

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# What an agent reads where a message has no text of its own (pt-BR).
MEDIA_LABELS = {
    "image": "[imagem]",
    "audio": "[áudio]",
    "video": "[vídeo]",
    "document": "[documento]",
    "sticker": "[figurinha]",
}
STATUSES = {"sent": "SENT", "delivered": "DELIVERED", "read": "READ", "failed": "FAILED"}
MAX_BODY_CHARS = 4096
_NOT_STORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass
class InboundMessage:
    wamid: str
    wa_id: str
    phone: str
    name: str | None
    at: datetime
    content_type: str
    body: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    channel_data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StatusUpdate:
    wamid: str
    status: str
    at: datetime
    error: str | None


def e164(wa_id: str) -> str:
    """The phone of a wa_id, E.164. Brazilian mobiles registered before the
    ninth digit often keep an 8-digit wa_id (55 DD 8xxx-xxxx): the number
    people know, and the contact is filed under, has the 9."""
    digits = "".join(ch for ch in wa_id if ch.isdigit())
    if len(digits) == 12 and digits.startswith("55") and digits[4] in "6789":
        digits = f"{digits[:4]}9{digits[4:]}"
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return "+" + digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def timestamp(raw: Any) -> datetime:
    """A Cloud API timestamp (Unix seconds, as a string); now if unreadable."""
    try:
        return datetime.fromtimestamp(int(str(raw)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _text(value: Any, limit: int = MAX_BODY_CHARS) -> str:
    """A provider string as the inbox may store it: control characters and
    unpaired surrogates (which no record may hold) dropped, trimmed, cut."""
    if not isinstance(value, str):
        return ""
    return _NOT_STORABLE.sub("", value).strip()[:limit]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _media(kind: str, media: dict[str, Any]) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    attachment = {
        "kind": kind,
        "mediaId": _text(media.get("id"), 255),
        "mimeType": _text(media.get("mime_type"), 255) or None,
        "sha256": _text(media.get("sha256"), 128) or None,
        "name": _text(media.get("filename"), 255) or None,
    }
    caption = _text(media.get("caption"))
    label = MEDIA_LABELS[kind]
    if kind == "document" and attachment["name"]:
        label = f"[documento: {attachment['name']}]"
    if kind == "audio" and media.get("voice"):
        label = "[mensagem de voz]"
    facts = {"voice": True} if media.get("voice") else {}
    return caption or label, [attachment], facts


def _location(location: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    facts = {
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "name": _text(location.get("name"), 500) or None,
        "address": _text(location.get("address"), 1000) or None,
        "url": _text(location.get("url"), 1000) or None,
    }
    place = " — ".join(part for part in (facts["name"], facts["address"]) if part)
    where = f"{facts['latitude']}, {facts['longitude']}"
    return (f"📍 {place} ({where})" if place else f"📍 {where}"), {"location": facts}


def _contacts(cards: list[Any]) -> tuple[str, dict[str, Any]]:
    people = []
    for card in cards[:20]:
        card = _obj(card)
        name = _text(_obj(card.get("name")).get("formatted_name"), 200)
        phones = [_text(_obj(p).get("phone"), 64) for p in card.get("phones") or [] if _obj(p).get("phone")]
        people.append({"name": name or None, "phones": phones[:10]})
    lines = [
        f"{p['name'] or 'Contato'}" + (f" ({', '.join(p['phones'])})" if p["phones"] else "") for p in people
    ]
    return "Contato compartilhado: " + "; ".join(lines), {"contacts": people}


def _interactive(interactive: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = _text(interactive.get("type"), 32)
    reply = _obj(interactive.get(kind))
    facts = {
        "type": kind,
        "id": _text(reply.get("id"), 256) or None,
        "title": _text(reply.get("title"), 256) or None,
        "description": _text(reply.get("description"), 256) or None,
    }
    return facts["title"] or facts["id"] or "[resposta interativa]", {"reply": facts}


def read_message(raw: dict[str, Any], profiles: dict[str, str | None]) -> InboundMessage | None:
    """One entry of `messages`, or None when it names no sender or id."""
    wamid = _text(raw.get("id"), 255)
    wa_id = _text(raw.get("from"), 32)
    if not wamid or not wa_id:
        return None
    kind = _text(raw.get("type"), 16) or "unknown"
    content_type = kind
    attachments: list[dict[str, Any]] = []
    facts: dict[str, Any] = {"waId": wa_id}
    if kind == "text":
        body = _text(_obj(raw.get("text")).get("body"))
    elif kind in MEDIA_TYPES:
        body, attachments, more = _media(kind, _obj(raw.get(kind)))
        facts.update(more)
    elif kind == "location":
        body, more = _location(_obj(raw.get("location")))
        facts.update(more)
    elif kind == "contacts":
        body, more = _contacts(raw.get("contacts") if isinstance(raw.get("contacts"), list) else [])
        facts.update(more)
    elif kind == "interactive":
        body, more = _interactive(_obj(raw.get("interactive")))
        facts.update(more)
    elif kind == "button":
        button = _obj(raw.get("button"))
        body = _text(button.get("text")) or "[botão]"
        facts["button"] = {"text": body, "payload": _text(button.get("payload"), 1000) or None}
    elif kind == "reaction":
        reaction = _obj(raw.get("reaction"))
        emoji = _text(reaction.get("emoji"), 32)
        body = f"Reagiu com {emoji}" if emoji else "Removeu a reação"
        facts["reaction"] = {
            "messageId": _text(reaction.get("message_id"), 255) or None,
            "emoji": emoji or None,
        }
    elif kind == "system":
        body = _text(_obj(raw.get("system")).get("body")) or "[mensagem do sistema]"
        facts["system"] = _obj(raw.get("system"))
    else:
        # "unsupported"/"unknown": a type the Cloud API does not deliver (its errors say which).
        content_type = "unsupported"
        body = "[mensagem não suportada pelo WhatsApp Cloud API]"
    if isinstance(raw.get("errors"), list):
        facts["errors"] = [_error_facts(e) for e in raw["errors"][:5]]
    for key in ("context", "referral"):
        if isinstance(raw.get(key), dict):
            facts[key] = raw[key]
    return InboundMessage(
        wamid=wamid,
        wa_id=wa_id,
        phone=e164(wa_id),
        name=profiles.get(wa_id),
        at=timestamp(raw.get("timestamp")),
        content_type=content_type[:16],
        body=body or MEDIA_LABELS.get(kind, "[mensagem]"),
        attachments=attachments,
        channel_data=facts,
    )


def _error_facts(raw: Any) -> dict[str, Any]:
    error = _obj(raw)
    details = _obj(error.get("error_data")).get("details")
    return {
        "code": error.get("code"),
        "title": _text(error.get("title"), 500) or None,
        "message": _text(error.get("message"), 1000) or None,
        "details": _text(details, 1000) or None,
    }


def error_text(errors: list[dict[str, Any]]) -> str:
    """A provider error as stored on a FAILED message: "131047 Re-engagement message: <message> (<details>)"."""
    parts = []
    for error in errors:
        text = f"{error.get('code')} {error.get('title') or ''}".strip()
        if error.get("message") and error.get("message") != error.get("title"):
            text += f": {error['message']}"
        if error.get("details"):
            text += f" ({error['details']})"
        parts.append(text)
    return "; ".join(parts) or "failed"


def read_status(raw: dict[str, Any]) -> StatusUpdate | None:
    status = STATUSES.get(_text(raw.get("status"), 16))
    wamid = _text(raw.get("id"), 255)
    if status is None or not wamid:
        return None
    errors = [_error_facts(e) for e in raw.get("errors") or []] if isinstance(raw.get("errors"), list) else []
    return StatusUpdate(
        wamid=wamid,
        status=status,
        at=timestamp(raw.get("timestamp")),
        error=error_text(errors) if status == "FAILED" else None,
    )


def read_value(value: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """The messages and statuses of one change's value, in their order."""
    profiles: dict[str, str | None] = {}
    for contact in value.get("contacts") or []:
        contact = _obj(contact)
        wa_id = _text(contact.get("wa_id"), 32)
        if wa_id:
            profiles[wa_id] = _text(_obj(contact.get("profile")).get("name"), 200) or None
    messages = [read_message(_obj(m), profiles) for m in value.get("messages") or []]
    statuses = [read_status(_obj(s)) for s in value.get("statuses") or []]
    return [m for m in messages if m], [s for s in statuses if s]
