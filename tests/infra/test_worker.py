"""`revgraph worker` consumes the Redis task broker: a message sent by the
API side runs in the worker, on its own database connection, and SIGTERM
stops the worker cleanly (real services only: without REVGRAPH_REDIS_URL
the API runs tasks itself and there is no worker)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from revgraph.models.crm import Company
from revgraph.models.identity import Workspace
from tests.conftest import REAL_REDIS, session_worker_paused
from tests.infra.revgraph_process import RevgraphProcess

pytestmark = pytest.mark.skipif(not REAL_REDIS, reason="needs REVGRAPH_TEST_REDIS_URL (real services)")


async def wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_worker_runs_a_sent_message_against_the_database_and_stops_on_sigterm(server):
    from revgraph.tasks.maintenance import purge_trash

    # given trash past the retention, recent trash and a live company
    workspace = await Workspace.create(name="Imobiliária Worker", trash_retention_days=30)
    now = datetime.now(UTC)
    expired = await Company.create(workspace=workspace, name="Velha", deleted_at=now - timedelta(days=40))
    recent = await Company.create(workspace=workspace, name="Recente", deleted_at=now - timedelta(days=1))
    live = await Company.create(workspace=workspace, name="Ativa")
    # and a worker on the test's database and Redis prefix, the only one
    # running (the session's worker would otherwise take the message)
    with session_worker_paused(server):
        worker = RevgraphProcess("worker", "--processes", "1", "--threads", "2").start()
        try:
            # when the purge is sent through the Redis broker
            purge_trash.send()
            # then the worker runs it: only the expired trash is gone
            assert await wait_until(lambda: _gone(expired.id)), f"purge never ran:\n{worker.output}"
            assert await Company.filter(id__in=[recent.id, live.id]).count() == 2
        finally:
            # and SIGTERM stops it cleanly within 15 s
            code = await worker.stop(timeout=15)
    assert code == 0, worker.output
    assert "Worker has been shut down." in worker.output


async def _gone(company_id: int) -> bool:
    return not await Company.filter(id=company_id).exists()
