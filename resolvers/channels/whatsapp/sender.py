"""The WhatsApp sender: a QUEUED outbound message leaves through the Cloud
API, `POST <REVGRAPH_WHATSAPP_API_URL>/<phoneNumberId>/messages` with the
inbox's access token, addressed to the contact's wa_id. Text goes as
`type: text`; a template as `type: template` with its language code and
its body parameters in order. The reply's `messages[0].id` (the wamid)
becomes the message's external id, which the status webhooks name.

What retrying may fix raises (a timeout, a dropped connection, 429, 5xx,
and the Cloud API's throttling and temporary error codes), so the deliver
task retries with backoff; any other refusal is the message's FAILED
status with the provider's error."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import httpx

from revgraph.models.crm import Contact
from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.channels.whatsapp.credentials import WhatsAppCredentials
from revgraph.resolvers.inbox.senders import SendResult
from revgraph.resolvers.settings import Settings

# Cloud API error codes that mean "later": API throttling (4, 80007,
# 130429), spam and pair rate limits (131048, 131056), temporary service
# errors (1, 2, 131000, 133004).
RETRYABLE_CODES = {1, 2, 4, 80007, 130429, 131000, 131048, 131056, 133004}
# Stored on the message and shown to agents (pt-BR); the provider's own errors are kept as it said them.
NOT_CONNECTED = (
    "A caixa de entrada do WhatsApp não está conectada: um administrador informa as credenciais "
    "(phoneNumberId, accessToken, appSecret, verifyToken)."
)
NO_NUMBER = "O contato não tem um número de WhatsApp para onde enviar."


class ProviderUnavailable(Exception):
    """The Cloud API did not take the message this time; retry later."""


# One connection pool per event loop (the server's, or the worker's loop thread).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _client(settings: Settings) -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = _clients[loop] = httpx.AsyncClient(
            timeout=settings.whatsapp_timeout_seconds, follow_redirects=False
        )
    return client


async def recipient(conversation: Conversation) -> str | None:
    """The wa_id to address: the one the contact last wrote from in this
    conversation, else the digits of the contact's phone."""
    facts = (
        await Message.filter(conversation_id=conversation.id, direction="INBOUND")
        .order_by("-at", "-id")
        .limit(5)
        .values_list("channel_data", flat=True)
    )
    for data in facts:
        if isinstance(data, dict) and data.get("waId"):
            return str(data["waId"])
    phones = await Contact.filter(id=conversation.contact_id).values_list("phone", flat=True)
    digits = "".join(ch for ch in (phones[0] or "") if ch.isdigit()) if phones else ""
    return digits or None


def request_body(message: Message, to: str) -> dict[str, Any]:
    """The Cloud API's message object for one outbound message."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if message.kind == "TEMPLATE":
        template: dict[str, Any] = {
            "name": message.template_name,
            "language": {"code": message.template_language},
        }
        variables = list(message.variables or [])
        if variables:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": value} for value in variables]}
            ]
        return {**body, "type": "template", "template": template}
    return {**body, "type": "text", "text": {"preview_url": False, "body": message.body}}


def refusal(status: int, answer: Any) -> tuple[bool, str]:
    """(retryable, the error as stored) of a non-2xx answer."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return status == 429 or status >= 500, f"HTTP {status} from the WhatsApp Cloud API"
    code = error.get("code")
    subcode = error.get("error_subcode")
    label = f"{code}/{subcode}" if subcode else f"{code}"
    text = f"{label} {error.get('type') or 'error'}: {error.get('message') or ''}".strip()
    details = (
        (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    )
    if details:
        text += f" ({details})"
    if error.get("fbtrace_id"):
        text += f" [fbtrace_id {error['fbtrace_id']}]"
    return status == 429 or status >= 500 or code in RETRYABLE_CODES, text


class WhatsAppSender:
    """The ChannelSender of WHATSAPP inboxes."""

    async def send(
        self, settings: Settings, inbox: Inbox, conversation: Conversation, message: Message
    ) -> SendResult:
        credentials = WhatsAppCredentials.of(inbox.settings or {})
        if not credentials.phone_number_id or not credentials.access_token:
            return SendResult(error=NOT_CONNECTED)
        to = await recipient(conversation)
        if to is None:
            return SendResult(error=NO_NUMBER)
        url = f"{settings.whatsapp_api_url}/{credentials.phone_number_id}/messages"
        try:
            response = await _client(settings).post(
                url,
                json=request_body(message, to),
                headers={"Authorization": f"Bearer {credentials.access_token}"},
            )
        except httpx.TransportError as exc:  # timeouts, refused or dropped connections
            raise ProviderUnavailable(f"WhatsApp Cloud API unreachable: {type(exc).__name__}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.is_success:
            messages = answer.get("messages") if isinstance(answer, dict) else None
            wamid = messages[0].get("id") if isinstance(messages, list) and messages else None
            if not isinstance(wamid, str) or not wamid:
                raise ProviderUnavailable("The WhatsApp Cloud API answered without a message id")
            return SendResult(external_id=wamid[:255])
        retryable, error = refusal(response.status_code, answer)
        if retryable:
            raise ProviderUnavailable(error)
        return SendResult(error=error)
