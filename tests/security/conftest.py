"""A private server for the security tests that need settings the shared
test server does not have (short websocket timeouts, a tiny rate-limit
budget, production mode). It shares the session's database and runs
without a lifespan, so it opens nothing of its own."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import Server, free_port


@pytest.fixture
async def private_server(server: Server) -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    """`await private_server(limits={...}, **settings)` starts another app on
    a free port with the shared server's settings changed as given. Its
    rate-limit keys get their own Redis prefix (under the run's one)."""
    import uvicorn

    from revgraph.web.app import create_app
    from revgraph.web.cli import SERVER_OPTIONS
    from revgraph.web.graphql_view import RevGraphView

    started: list[tuple[Any, asyncio.Task, Any]] = []

    async def start(*, limits: dict[str, Any] | None = None, **changes: Any) -> Server:
        base = server.settings
        changes.setdefault("redis_prefix", f"{base.redis_prefix}-{uuid.uuid4().hex[:6]}")
        settings = dataclasses.replace(
            base, limits=dataclasses.replace(base.limits, **(limits or {})), **changes
        )
        app = create_app(settings, migrate=False)
        port = free_port()
        # A connection still open at the end is cut after 2 s rather than
        # holding the test up: closing behaviour is asserted by the tests.
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            loop="none",
            timeout_graceful_shutdown=2,
            **SERVER_OPTIONS,
        )
        uv = uvicorn.Server(config)
        task = asyncio.get_running_loop().create_task(uv.serve())
        while not uv.started:
            if task.done():
                task.result()
                raise RuntimeError("private server exited during start-up")
            await asyncio.sleep(0.01)
        view = next(r.app for r in app.routes if isinstance(getattr(r, "app", None), RevGraphView))
        started.append((uv, task, view))
        return Server(app, port)

    yield start
    for uv, task, view in started:
        uv.should_exit = True
        await asyncio.wait_for(task, timeout=15)
        await view.aclose()
