"""Outgoing e-mail over SMTP (stdlib smtplib in a thread, so the loop keeps
serving). Sending is not transactional: a step sends, then commits, so a
crash between the two sends the message again on redelivery (at least
once); every other action is exactly once."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.settings import Settings


class EmailNotSent(RuntimeError):
    """The SMTP server refused or could not be reached; the text says why."""


def _send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


async def send_email(
    settings: Settings, *, to: str, subject: str, body: str, sender: str | None = None
) -> None:
    """Send one plain-text message from `sender` (default REVGRAPH_SMTP_FROM)."""
    if not settings.smtp_host:
        raise DomainError("RULE_VIOLATION", "E-mail is not configured: set REVGRAPH_SMTP_HOST.")
    message = EmailMessage()
    message["From"] = sender or settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        await asyncio.to_thread(_send, settings, message)
    except smtplib.SMTPResponseException as error:
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else error.smtp_error
        )
        raise EmailNotSent(f"SMTP {error.smtp_code}: {text}") from error
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise EmailNotSent(f"SMTP {code}: {text.decode(errors='replace')}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise EmailNotSent(f"SMTP: {type(error).__name__}: {error}") from error
