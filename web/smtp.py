"""The inbound SMTP listener of e-mail inboxes (`revgraph smtp`, aiosmtpd).

- RCPT TO an address that is no inbox's: 550 5.1.1 (nothing accepted).
- SIZE is advertised; larger messages are refused with 552 before or
  during DATA (REVGRAPH_SMTP_MAX_MESSAGE_BYTES).
- After DATA the message is stored for each inbox it was addressed to
  (resolvers/channels/email/intake.py): 250 only once it is committed;
  451 (try again later) when the database cannot take it, so the sending
  server keeps the message and retries — a repeat is idempotent by its
  Message-ID.

Replies are ASCII (RFC 5321), in Portuguese for the people who read bounces."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from revgraph.resolvers.channels.email.intake import NoSender, deliver_email, inbox_for_address
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 100
TEMPORARY = "451 4.3.0 Falha temporaria ao guardar a mensagem; tente novamente mais tarde"


class InboxHandler:
    """aiosmtpd handler: recipients must be inbox addresses; DATA is stored."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Destinatarios demais nesta mensagem"
        try:
            inbox = await inbox_for_address(address)
        except Exception:
            log.exception("RCPT %s: the database did not answer", address)
            return TEMPORARY
        if inbox is None:
            return f"550 5.1.1 <{address}>: endereco desconhecido (nenhuma caixa de entrada com este e-mail)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        source = envelope.original_content
        if source is None:
            source = envelope.content if isinstance(envelope.content, bytes) else b""
        envelope_from = envelope.mail_from or None
        try:
            delivered = 0
            for address in dict.fromkeys(a.lower() for a in envelope.rcpt_tos):
                inbox = await inbox_for_address(address)
                if inbox is None:  # its address changed since RCPT
                    continue
                received = await deliver_email(self.settings, inbox, source, envelope_from=envelope_from)
                delivered += 1
                log.info(
                    "e-mail %s for %s: message %s (%s)",
                    received.message.external_id,
                    address,
                    received.message.id,
                    "stored" if received.created else "already stored",
                )
        except NoSender:
            return "550 5.1.7 Mensagem sem endereco de remetente valido (From)"
        except Exception:
            log.exception("DATA from %s: not stored", envelope_from)
            return TEMPORARY
        if not delivered:
            return "550 5.1.1 Nenhum destinatario desta mensagem e uma caixa de entrada"
        return "250 2.0.0 Mensagem recebida"


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """STARTTLS when a certificate and its key are configured."""
    if not (settings.smtp_tls_cert or settings.smtp_tls_key):
        return None
    if not (settings.smtp_tls_cert and settings.smtp_tls_key):
        raise ValueError("set both REVGRAPH_SMTP_TLS_CERT and REVGRAPH_SMTP_TLS_KEY, or neither")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key)
    return context


async def start_listener(settings: Settings, host: str, port: int) -> asyncio.Server:
    """Listen on host:port (port 0: any free one) on the running loop."""
    loop = asyncio.get_running_loop()
    handler = InboxHandler(settings)
    context = tls_context(settings)

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=settings.smtp_max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.smtp_listener_hostname,
            ident="RevGraph SMTP",
            tls_context=context,
            timeout=300,
            loop=loop,
        )

    return await loop.create_server(protocol, host=host, port=port)


async def serve_smtp(settings: Settings, host: str, port: int) -> None:
    """`revgraph smtp`: the database, and with Redis the event bus and task
    broker the API and worker share, so routing events, automations and
    subscribers hear of new mail at once. In the embedded mode (no Redis)
    the events stay in the log until `revgraph serve` publishes them (its
    outbox sweep, within seconds)."""
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.tasks.runtime import start_worker_runtime, stop_worker_runtime

    if settings.redis_url:
        await start_worker_runtime(settings)
    else:
        await open_database(settings, migrate=False)
    try:
        server = await start_listener(settings, host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"revgraph: SMTP listener on {host}:{port} for e-mail inboxes", flush=True)
        await stop.wait()
        server.close()
        await server.wait_closed()
    finally:
        if settings.redis_url:
            await stop_worker_runtime()
        else:
            await close_database()
