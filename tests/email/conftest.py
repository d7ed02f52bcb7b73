"""The e-mail channel's stand-ins: RevGraph's own SMTP listener on a free
port of the test loop (what customers' mail servers talk to), and a local
aiosmtpd server playing the outgoing relay, which records what RevGraph
sends and answers what the test tells it to."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator

import pytest
from aiosmtpd.controller import Controller

from revgraph.web.smtp import start_listener
from tests.conftest import free_port
from tests.email.support import LISTENER_MAX_BYTES, Relay


@pytest.fixture
async def listener(server) -> AsyncIterator[int]:
    """The port RevGraph's SMTP listener takes mail on (size limit: 256 KiB)."""
    settings = dataclasses.replace(server.settings, smtp_max_message_bytes=LISTENER_MAX_BYTES)
    smtp = await start_listener(settings, "127.0.0.1", 0)
    try:
        yield smtp.sockets[0].getsockname()[1]
    finally:
        smtp.close()
        await smtp.wait_closed()


@pytest.fixture
def relay() -> Iterator[Relay]:
    """The outgoing SMTP relay stand-in (its own thread and loop)."""
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()
