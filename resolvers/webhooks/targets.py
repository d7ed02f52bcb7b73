"""Which URLs a webhook may call. Only http(s). With REVGRAPH_ENV=production
(and REVGRAPH_WEBHOOK_ALLOW_PRIVATE unset) a host that resolves to any
private, loopback, link-local, multicast, reserved or unspecified address is
refused: when the endpoint is saved and again before every attempt (DNS may
change), and redirects are never followed, so a public host cannot bounce a
request inside the network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.settings import Settings

MAX_URL_CHARS = 2000


class TargetRefused(Exception):
    """The URL may not be called; `code` is the userError code it maps to."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def refuses_private(settings: Settings) -> bool:
    return settings.production and not settings.webhook_allow_private


def _shape(url: str) -> tuple[str, int]:
    if len(url) > MAX_URL_CHARS:
        raise TargetRefused("INVALID", f"The URL may be at most {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("INVALID", "Not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("INVALID", "Only http:// and https:// URLs are accepted.")
    if not parts.hostname:
        raise TargetRefused("INVALID", "The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("INVALID", "The URL may not carry a user name or password.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


async def check_target(settings: Settings, url: str) -> None:
    """Raise TargetRefused unless `url` may be called now."""
    host, port = _shape(url)
    if not refuses_private(settings):
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise TargetRefused("INVALID", f"The host {host} does not resolve.") from None
    addresses = {info[4][0] for info in infos}
    if not addresses or any(_private(address) for address in addresses):
        raise TargetRefused(
            "FORBIDDEN",
            f"The host {host} resolves to a private, loopback or link-local address, "
            "which webhooks may not call (REVGRAPH_WEBHOOK_ALLOW_PRIVATE).",
        )


async def validate_url(settings: Settings, url: str, field: list[str]) -> str:
    """The URL as saved (trimmed), or a DomainError on `field`."""
    url = url.strip()
    try:
        await check_target(settings, url)
    except TargetRefused as refused:
        raise DomainError(refused.code, str(refused), field) from None
    return url
