"""Automation e-mails over the server's SMTP settings (REVGRAPH_SMTP_*,
through resolvers/outgoing_email.py). Sending is not transactional: a step
sends, then commits, so a crash between the two sends the message again on
redelivery (at least once); every other action is exactly once."""

from __future__ import annotations

from email.message import EmailMessage

from revgraph.resolvers.automations.not_applicable import NotApplicable
from revgraph.resolvers.i18n import _
from revgraph.resolvers.outgoing_email import EmailNotSent, SmtpServer, send_over_smtp
from revgraph.resolvers.settings import Settings

__all__ = ["EmailNotSent", "send_email"]


async def send_email(
    settings: Settings, *, to: str, subject: str, body: str, sender: str | None = None
) -> None:
    """Send one plain-text message from `sender` (default REVGRAPH_SMTP_FROM)."""
    server = SmtpServer.from_settings(settings)
    if server is None:
        # Retrying cannot help until the server is configured: the run is SKIPPED.
        raise NotApplicable(_("E-mail is not configured: set REVGRAPH_SMTP_HOST."))
    message = EmailMessage()
    message["From"] = sender or settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    await send_over_smtp(server, message)
