"""The WhatsApp tests' stand-in of the Cloud API, on a port fixed before
the test server (and, with Redis, its worker process) reads its settings."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from tests.conftest import free_port
from tests.whatsapp.cloud_api import VERSION, CloudApi

CLOUD_API_PORT = free_port()
os.environ["REVGRAPH_WHATSAPP_API_URL"] = f"http://127.0.0.1:{CLOUD_API_PORT}/{VERSION}"
# A stalled Cloud API is a timeout after two seconds (tests of retries).
os.environ["REVGRAPH_WHATSAPP_TIMEOUT_SECONDS"] = "2"

_STAND_IN = CloudApi()


@pytest.fixture(scope="session")
async def _cloud_api_server() -> AsyncIterator[CloudApi]:
    import uvicorn

    config = uvicorn.Config(
        _STAND_IN.app(),
        host="127.0.0.1",
        port=CLOUD_API_PORT,
        log_level="warning",
        lifespan="off",
        loop="none",
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield _STAND_IN
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


@pytest.fixture
async def cloud_api(_cloud_api_server: CloudApi, server) -> AsyncIterator[CloudApi]:
    _cloud_api_server.reset()
    yield _cloud_api_server
    _cloud_api_server.reset()
