"""Which URLs a webhook may call. Only http(s). With REVGRAPH_ENV=production
(and REVGRAPH_WEBHOOK_ALLOW_PRIVATE unset) a host that resolves to any
private, loopback, link-local, multicast, reserved or unspecified address is
refused: when the endpoint is saved, before every attempt, and at the
connection itself (`GuardedTransport` connects to the very address it
checked, so a DNS answer that changes between the check and the connection
cannot slip through); redirects are never followed, so a public host cannot
bounce a request inside the network."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _
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
        raise TargetRefused(
            "INVALID", _("The URL may be at most {MAX_URL_CHARS} characters.", MAX_URL_CHARS=MAX_URL_CHARS)
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("INVALID", _("Not a valid URL.")) from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("INVALID", _("Only http:// and https:// URLs are accepted."))
    if not parts.hostname:
        raise TargetRefused("INVALID", _("The URL has no host."))
    if parts.username or parts.password:
        raise TargetRefused("INVALID", _("The URL may not carry a user name or password."))
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
        raise TargetRefused("INVALID", _("The host {host} does not resolve.", host=host)) from None
    addresses = {info[4][0] for info in infos}
    if not addresses or any(_private(address) for address in addresses):
        raise TargetRefused(
            "FORBIDDEN",
            _(
                "The host {host} resolves to a private, loopback or link-local address, which webhooks may not call (REVGRAPH_WEBHOOK_ALLOW_PRIVATE).",
                host=host,
            ),
        )


async def validate_url(settings: Settings, url: str, field: list[str]) -> str:
    """The URL as saved (trimmed), or a DomainError on `field`."""
    url = url.strip()
    try:
        await check_target(settings, url)
    except TargetRefused as refused:
        raise DomainError(refused.code, str(refused), field) from None
    return url


async def _public_address(host: str, port: int) -> str:
    """The address to connect to: every address of `host` must be public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"refused: {host} does not resolve ({exc})") from None
    addresses = [info[4][0] for info in infos]
    if not addresses or any(_private(address) for address in addresses):
        raise httpcore.ConnectError(f"refused: {host} resolves to a private, loopback or link-local address")
    return addresses[0]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking the host itself
    and connecting to the checked address (TLS still verifies the name)."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await _public_address(host, port)
        return await self.inner.connect_tcp(
            address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@functools.cache
def tls_context(trust_env: bool) -> ssl.SSLContext:
    """The TLS context of every attempt, made once per process: httpx makes
    one for every client and transport it builds (the CA bundle read and
    parsed again, ~20 ms of CPU), and every attempt builds a client. With
    `trust_env`, SSL_CERT_FILE / SSL_CERT_DIR choose the CAs, as httpx's own."""
    return httpx.create_ssl_context(trust_env=trust_env)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over GuardedBackend (production without
    REVGRAPH_WEBHOOK_ALLOW_PRIVATE; nothing taken from the environment)."""

    def __init__(self) -> None:
        context = tls_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context, network_backend=GuardedBackend())


def transport_for(settings: Settings) -> httpx.AsyncBaseTransport | None:
    """The transport attempts use: guarded when private targets are refused."""
    return GuardedTransport() if refuses_private(settings) else None
