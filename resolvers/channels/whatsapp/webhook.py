"""The Cloud API's webhooks, in two steps so the HTTP answer is fast and
nothing is lost:

1. `accept` (in the request): the `X-Hub-Signature-256` header must be the
   HMAC-SHA256 of the raw body with the app secret of the inbox each
   change names by `metadata.phone_number_id` (compared in constant time);
   then the changes are stored, one InboundWebhook row per inbox, and
   committed before the 200. A refused delivery stores nothing.
2. `process` (a task, after commit): each row's messages go through the
   inbox's one intake (idempotent by wamid) and its statuses move the
   delivery status of the message with that wamid. A status can overtake
   the send that learns its wamid; the row is then retried for a while.

`handshake` answers the subscription check (`hub.mode=subscribe`,
`hub.verify_token`, `hub.challenge`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from revgraph.models.channels import InboundWebhook
from revgraph.models.inbox import Inbox, Message
from revgraph.resolvers.channels.whatsapp.credentials import WhatsAppCredentials
from revgraph.resolvers.channels.whatsapp.inbound import InboundMessage, StatusUpdate, read_value
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.inbox import intake, senders
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)
SIGNATURE_PREFIX = "sha256="
# A status naming a wamid no send has stored yet is waited for this long.
STATUS_PATIENCE = timedelta(minutes=10)
MAX_CHALLENGE_CHARS = 256


class WebhookRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StatusesPending(Exception):
    """Some statuses name messages not stored yet: retry the row later."""


@dataclass
class Accepted:
    row_ids: list[int]


async def handshake(mode: str | None, token: str | None, challenge: str | None) -> str | None:
    """The challenge to echo when the verify token is some WhatsApp inbox's; None: refuse."""
    if mode != "subscribe" or not token or challenge is None or len(challenge) > MAX_CHALLENGE_CHARS:
        return None
    rows = await Inbox.filter(channel="WHATSAPP", channel_address__isnull=False).values_list(
        "settings", flat=True
    )
    matched = False
    for settings in rows:
        expected = WhatsAppCredentials.of(settings or {}).verify_token
        # Every inbox compared, in constant time each: timing tells nothing.
        matched |= bool(expected) and hmac.compare_digest(expected.encode(), token.encode())
    return challenge if matched else None


def signature_of(secret: str, body: bytes) -> str:
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _changes_by_number(payload: Any) -> dict[str, list[dict[str, Any]]]:
    """The `messages` changes' values, by the phone_number_id they name."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise WebhookRefused(400, "Not a WhatsApp Business Account webhook.")
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            number = (value.get("metadata") or {}).get("phone_number_id")
            if isinstance(number, str | int) and str(number):
                found.setdefault(str(number), []).append(value)
    return found


async def accept(raw: bytes, signature: str | None) -> Accepted:
    """Verify and store one delivery (see the module's rules). 401 without
    a signature, 403 when it is not the named inboxes' app secret's."""
    if not signature or not signature.startswith(SIGNATURE_PREFIX):
        raise WebhookRefused(401, "X-Hub-Signature-256 is missing.")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise WebhookRefused(400, "The body is not JSON.") from exc
    changes = _changes_by_number(payload)
    inboxes = await Inbox.filter(channel="WHATSAPP", channel_address__in=list(changes)) if changes else []
    if not inboxes:
        raise WebhookRefused(403, "No inbox is connected to the phone number this webhook names.")
    for inbox in inboxes:
        secret = WhatsAppCredentials.of(inbox.settings or {}).app_secret
        if not secret or not hmac.compare_digest(signature_of(secret, raw), signature.strip()):
            raise WebhookRefused(403, "X-Hub-Signature-256 does not match the app secret.")
    now = datetime.now(UTC)
    async with unit_of_work():
        rows = [
            await InboundWebhook.create(
                inbox_id=inbox.id, payload=changes[inbox.channel_address], received_at=now
            )
            for inbox in sorted(inboxes, key=lambda i: i.id)
        ]
    return Accepted([row.id for row in rows])


async def process(settings: Settings, row_id: int) -> None:
    """Work one stored delivery (idempotent: a message is stored once per
    wamid, a status never goes back). Raises StatusesPending while some
    status names a message not stored yet, up to STATUS_PATIENCE."""
    row = await InboundWebhook.filter(id=row_id, processed_at__isnull=True).first()
    if row is None:
        return
    inbox = await Inbox.get(id=row.inbox_id)
    problems: list[str] = []
    waiting = 0
    for value in row.payload if isinstance(row.payload, list) else []:
        messages, statuses = read_value(value)
        for message in messages:
            problem = await _receive(settings, inbox, message)
            if problem:
                problems.append(problem)
        for status in statuses:
            waiting += not await _apply_status(inbox, status)
    row.attempts += 1
    patient = datetime.now(UTC) - row.received_at < STATUS_PATIENCE
    if waiting and patient:
        row.error = f"{waiting} status(es) name messages not stored yet"
        await row.save(update_fields=["attempts", "error"])
        raise StatusesPending(row.error)
    if waiting:
        problems.append(f"{waiting} status(es) named no message sent from this inbox")
    row.error = "; ".join(problems)[:4000] or None
    row.processed_at = datetime.now(UTC)
    await row.save(update_fields=["attempts", "error", "processed_at"])


async def _receive(settings: Settings, inbox: Inbox, message: InboundMessage) -> str | None:
    sender = intake.Sender(name=message.name, email=None, phone=message.phone, external_id=message.wa_id)
    try:
        await intake.receive(
            settings,
            None,
            inbox,
            sender,
            body=intake.check_body(inbox.channel, message.body, ["body"]),
            external_id=message.wamid,
            at=intake.message_time(message.at, ["at"], datetime.now(UTC)),
            content_type=message.content_type,
            attachments=message.attachments,
            channel_data=message.channel_data,
        )
    except DomainError as error:
        # One unreadable message must not hold up the others of the delivery.
        log.warning("whatsapp inbox %s: message %s refused: %s", inbox.id, message.wamid, error)
        return f"{message.wamid}: {error}"
    return None


async def _apply_status(inbox: Inbox, status: StatusUpdate) -> bool:
    """Move the message's status; False when no message has that wamid yet."""
    ids = await Message.filter(inbox_id=inbox.id, external_id=status.wamid, direction="OUTBOUND").values_list(
        "id", flat=True
    )
    if not ids:
        return False
    await senders.set_status(ids[0], status.status, error=status.error)
    return True


async def unprocessed(older_than: timedelta, limit: int = 500) -> list[int]:
    """Deliveries stored but not worked: never tried (a lost task, a process
    that died), or still waiting on statuses past STATUS_PATIENCE (their
    task's retries ended first). A row in its task's retries is left to it."""
    now = datetime.now(UTC)
    never_tried = Q(attempts=0, received_at__lte=now - older_than)
    overdue = Q(received_at__lte=now - STATUS_PATIENCE - older_than)
    return list(
        await InboundWebhook.filter(never_tried | overdue, processed_at__isnull=True)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
