"""The test harness itself (tests/conftest.py, tests/support.py): what it
shares between tests to keep the run short."""

from __future__ import annotations

import ssl

from tests.support import tls_context


async def test_the_gql_clients_share_one_tls_context(gql):
    # httpx builds a TLS context (the CA bundle loaded, ~20 ms of CPU) for
    # every client it makes; `gql`, one client per test, takes the run's
    # shared context instead
    context = gql.http._transport._pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    assert context is tls_context()
    # and it is the context httpx would build: certificates are verified
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
