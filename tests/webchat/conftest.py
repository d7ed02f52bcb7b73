"""The webchat tests: a private server with small webchat limits
(tests/security/conftest.py), and the shared server's visitor counts
forgotten after each test (every test's sockets come from 127.0.0.1)."""

from collections.abc import AsyncIterator

import pytest

from tests.security.conftest import private_server  # noqa: F401


@pytest.fixture(autouse=True)
async def _fresh_visitor_counts(server) -> AsyncIterator[None]:
    yield
    await server.app.state.webchat.limits.counts.reset()
