"""An EMAIL inbox's settings (write-only, like every channel's): its
address, and optionally the SMTP server its replies leave through.

    {"address": "contato@imobiliaria.com.br",
     "fromName": "Imobiliária Horizonte",
     "smtpHost": "smtp.imobiliaria.com.br", "smtpPort": 587,
     "smtpUsername": "contato@imobiliaria.com.br", "smtpPassword": "...",
     "smtpSecurity": "STARTTLS"}

The address, lower-cased, is also the inbox's channel_address (unique among
e-mail inboxes): the SMTP listener finds an inbox by its recipient in one
indexed read. Without smtpHost, replies go through the server's
REVGRAPH_SMTP_* settings (the ones automation e-mails use)."""

from __future__ import annotations

import re
from typing import Any

from revgraph.models.inbox import Inbox
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.outgoing_email import SECURITY_MODES, SmtpServer
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import normalize_email, optional_text

KEYS = ("address", "fromName", "smtpHost", "smtpPort", "smtpUsername", "smtpPassword", "smtpSecurity")
DEFAULT_PORTS = {"NONE": 25, "STARTTLS": 587, "TLS": 465}
HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}$|^\[[0-9A-Fa-f:.]{2,45}\]$")


def email_settings(value: dict[str, Any], field: list[str]) -> tuple[dict[str, Any], str]:
    """The settings as stored, and the inbox's address; INVALID names the
    key at fault (unknown keys too: a typo must not silently drop a setting)."""
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise DomainError(
            "INVALID",
            _("Unknown e-mail setting {unknown!r}: use {items}.", unknown=unknown[0], items=", ".join(KEYS)),
            [*field, unknown[0]],
        )
    raw_address = value.get("address")
    if not isinstance(raw_address, str) or not raw_address.strip():
        raise DomainError("INVALID", _("An e-mail inbox needs its address."), [*field, "address"])
    address = normalize_email(raw_address, [*field, "address"])
    stored: dict[str, Any] = {"address": address}
    from_name = _text(value, "fromName", field, 200, "The sender name")
    if from_name:
        stored["fromName"] = from_name
    host = _text(value, "smtpHost", field, 255, "The SMTP host")
    if host is None:
        extra = [key for key in KEYS[3:] if value.get(key) is not None]
        if extra:
            raise DomainError(
                "INVALID",
                _("{extra} needs smtpHost (the server replies leave through).", extra=extra[0]),
                [*field, extra[0]],
            )
        return stored, address
    if not HOST.match(host):
        raise DomainError(
            "INVALID", _("The SMTP host is a host name or an IP address."), [*field, "smtpHost"]
        )
    security = value.get("smtpSecurity") or "STARTTLS"
    if security not in SECURITY_MODES:
        raise DomainError(
            "INVALID",
            _("smtpSecurity is one of {items}.", items=", ".join(SECURITY_MODES)),
            [*field, "smtpSecurity"],
        )
    port = value.get("smtpPort", DEFAULT_PORTS[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise DomainError("INVALID", _("smtpPort is a port number from 1 to 65535."), [*field, "smtpPort"])
    stored |= {"smtpHost": host, "smtpPort": port, "smtpSecurity": security}
    username = _text(value, "smtpUsername", field, 320, "The SMTP user name")
    password = value.get("smtpPassword")
    if password is not None and (not isinstance(password, str) or len(password) > 1024):
        raise DomainError(
            "INVALID", _("smtpPassword is text of at most 1,024 characters."), [*field, "smtpPassword"]
        )
    if username:
        stored |= {"smtpUsername": username, "smtpPassword": password or ""}
    elif password:
        raise DomainError("INVALID", _("smtpPassword needs smtpUsername."), [*field, "smtpUsername"])
    return stored, address


def _text(value: dict[str, Any], key: str, field: list[str], max_length: int, what: str) -> str | None:
    raw = value.get(key)
    if raw is not None and not isinstance(raw, str):
        raise DomainError("INVALID", _("{what} is text.", what=what), [*field, key])
    # One line: a CR or LF here would let a setting write mail headers.
    return optional_text(raw, [*field, key], max_length=max_length, what=what)


def outgoing_server(inbox: Inbox, settings: Settings) -> SmtpServer | None:
    """Where the inbox's replies leave: its own SMTP server, else the
    server's (REVGRAPH_SMTP_*); None when neither is configured."""
    stored = inbox.settings or {}
    if not stored.get("smtpHost"):
        return SmtpServer.from_settings(settings)
    return SmtpServer(
        host=stored["smtpHost"],
        port=int(stored.get("smtpPort") or DEFAULT_PORTS["STARTTLS"]),
        username=stored.get("smtpUsername"),
        password=stored.get("smtpPassword"),
        security=stored.get("smtpSecurity") or "STARTTLS",
        timeout_seconds=settings.smtp_timeout_seconds,
    )
