"""Automation tests: a real SMTP server (aiosmtpd) on a free port, and the
settings that point the server and the worker at it. They are set at import,
before the session's server and `revgraph worker` read the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest

from tests.conftest import free_port

SMTP_PORT = free_port()
os.environ.update(
    {
        "REVGRAPH_SMTP_HOST": "127.0.0.1",
        "REVGRAPH_SMTP_PORT": str(SMTP_PORT),
        "REVGRAPH_SMTP_FROM": "robo@revgraph.test",
        # Retries stay exponential, only on a faster scale than production's.
        "REVGRAPH_AUTOMATION_MIN_BACKOFF_MS": "100",
        "REVGRAPH_AUTOMATION_MAX_BACKOFF_MS": "1000",
    }
)


class Mailbox:
    """What the SMTP server received; `refuse_with` makes it answer RCPT TO
    with that reply (e.g. "550 5.1.1 mailbox unavailable") instead."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []
        self.refuse_with: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(
            message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Iterator[Mailbox]:
    smtp_server.messages.clear()
    smtp_server.envelopes.clear()
    smtp_server.refuse_with = None
    yield smtp_server
    smtp_server.refuse_with = None
