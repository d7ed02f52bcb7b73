"""Mail as customers' servers send it (smtplib, in a thread: the listener
runs on the test's loop), the relay stand-in, and e-mail inboxes."""

from __future__ import annotations

import asyncio
import inspect
import smtplib
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from revgraph.models.inbox import Message
from tests.inbox.setup_support import CREATE_INBOX

LISTENER_MAX_BYTES = 256 * 1024
INBOX_ADDRESS = "contato@imobiliaria.example.com"
CUSTOMER = "maria.conceicao@cliente.example.com"


class Relay:
    """aiosmtpd handler of the outgoing relay: records each message it
    accepts; `answers` are its replies to the next DATA commands, in order
    (then 250); `refuse_rcpt` its reply to every RCPT."""

    def __init__(self) -> None:
        self.port = 0
        self.answers: list[str] = []
        self.refuse_rcpt: str | None = None
        self.attempts = 0
        self.accepted: list[tuple[str, list[str], EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]
        if self.refuse_rcpt:
            with self._lock:
                self.attempts += 1
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        with self._lock:
            self.attempts += 1
            if self.answers:
                return self.answers.pop(0)
            parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
            self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 2.0.0 Ok: queued"


def mail(
    body: str = "Olá, o apartamento da Avenida São João ainda está disponível?",
    *,
    subject: str = "Apartamento na Avenida São João",
    sender: str = f"Maria Conceição <{CUSTOMER}>",
    to: str = INBOX_ADDRESS,
    message_id: str | None = "<primeira.1@cliente.example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
    charset: str = "utf-8",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Sat, 05 Dec 2026 10:00:00 -0300"
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body, charset=charset)
    return message


def wire(message: EmailMessage) -> bytes:
    """The message as SMTP carries it (CRLF line ends: smtplib sends bytes as given)."""
    return message.as_bytes(policy=policy.SMTP)


def _send(port: int, source: bytes, mail_from: str, to: list[str]) -> dict[str, Any]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(mail_from, to, source)


async def send_mail(
    port: int, message: EmailMessage | bytes, *, mail_from: str = CUSTOMER, to: list[str] | None = None
) -> dict[str, Any]:
    """Deliver like a mail server: raises smtplib's errors on a refusal."""
    source = message if isinstance(message, bytes) else wire(message)
    return await asyncio.to_thread(_send, port, source, mail_from, to or [INBOX_ADDRESS])


async def email_inbox(gql: Any, token: str, relay_port: int | None = None, **settings: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"address": INBOX_ADDRESS.upper(), "fromName": "Imobiliária Horizonte"}
    if relay_port is not None:
        spec |= {"smtpHost": "127.0.0.1", "smtpPort": relay_port, "smtpSecurity": "NONE"}
    spec |= settings
    variables = {"input": {"name": "E-mail", "channel": "EMAIL", "settings": spec}}
    payload = (await gql.ok(CREATE_INBOX, variables, token=token))["createInbox"]
    assert payload["userErrors"] == [], payload
    return payload["inbox"]


async def inbound_messages() -> list[Message]:
    return await Message.filter(direction="INBOUND").order_by("id")


async def settle(condition: Any, timeout: float = 30.0) -> Any:
    """Poll until `condition()` (sync or async) is truthy; its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.05)
