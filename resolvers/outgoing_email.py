"""Outgoing e-mail over SMTP, one client for everything RevGraph sends:
automation e-mails (the server's REVGRAPH_SMTP_* settings) and e-mail
inboxes' replies (the inbox's own server, or the server's). stdlib smtplib
runs in a thread, so the loop keeps serving.

A refusal says whether retrying may help: 4xx replies, dropped connections
and timeouts are temporary; 5xx replies (and TLS or authentication that
cannot work) are permanent."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from revgraph.resolvers.settings import Settings

# How the connection is secured: none, STARTTLS after connecting, or TLS
# from the first byte (SMTPS, usually port 465).
SECURITY_MODES = ("NONE", "STARTTLS", "TLS")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    security: str = "NONE"
    timeout_seconds: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer | None:
        """The server's REVGRAPH_SMTP_* settings (None: no host set)."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            security="STARTTLS" if settings.smtp_starttls else "NONE",
            timeout_seconds=settings.smtp_timeout_seconds,
        )


class EmailNotSent(RuntimeError):
    """The SMTP server refused or could not be reached; the text says why
    (with the server's code), `temporary` whether trying again may work."""

    def __init__(self, text: str, *, temporary: bool) -> None:
        super().__init__(text)
        self.temporary = temporary


def _send(server: SmtpServer, message: EmailMessage) -> None:
    # Certificates are verified: a relay that cannot prove its name gets no password.
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.security == "TLS":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout_seconds, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=server.timeout_seconds)
    with client as smtp:
        if server.security == "STARTTLS":
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(message)


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw


async def send_over_smtp(server: SmtpServer, message: EmailMessage) -> None:
    """Hand one message to `server`; raise EmailNotSent when it was not accepted."""
    try:
        await asyncio.to_thread(_send, server, message)
    except smtplib.SMTPResponseException as error:
        raise EmailNotSent(
            f"SMTP {error.smtp_code}: {_text(error.smtp_error)}", temporary=400 <= error.smtp_code < 500
        ) from error
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        raise EmailNotSent(f"SMTP {code}: {_text(text)}", temporary=400 <= code < 500) from error
    except smtplib.SMTPNotSupportedError as error:
        # e.g. STARTTLS asked of a server that does not offer it: a setting to fix.
        raise EmailNotSent(f"SMTP: {error}", temporary=False) from error
    except ssl.SSLError as error:
        raise EmailNotSent(f"SMTP TLS: {error}", temporary=False) from error
    except (smtplib.SMTPException, OSError) as error:
        raise EmailNotSent(f"SMTP: {type(error).__name__}: {error}", temporary=True) from error
