"""Faults. Redis down while a mutation commits: the mutation succeeds, its
event waits in the log (the outbox), and its automation runs exactly once
when Redis is back, however many times the event is then dispatched. A
worker killed in the middle of a run: the message goes to another worker,
and the action happens once. (SMTP refusing: test_delays_and_email.py.)"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest

from revgraph.models.crm import Task
from revgraph.models.events import Event
from revgraph.resolvers.events.bus import EventBus, current_bus, dispatch_pending, install_bus
from revgraph.resolvers.settings import Settings
from tests.automations.support import contact_timeline, create_rule, deal_timeline, pk, runs, settle
from tests.automations.test_engine import call_task_rule
from tests.conftest import REAL_DB, REAL_REDIS, session_worker_paused, start_worker, stop_worker
from tests.graph.documents import create_contact
from tests.infra.private_redis import running_private_redis
from tests.pipeline.support import create_deal, create_pipeline, move


async def test_redis_down_during_a_mutation_its_automation_runs_once_when_redis_is_back(gql, workspace):
    # given a rule on new contacts, and the server publishing through a Redis that will stop
    await create_rule(
        gql,
        workspace.token,
        name="Tarefa de boas-vindas",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"createTask": {"title": "Ligar para {{contact.name}}"}}],
    )
    server_bus = current_bus()
    with running_private_redis() as redis_server:
        bus = EventBus(
            Settings(redis_url=redis_server.url, redis_prefix=f"rgtest-auto-{uuid.uuid4().hex[:8]}")
        )
        bus.hooks = list(server_bus.hooks)
        await bus.connect()
        install_bus(bus)
        try:
            redis_server.stop()

            # when a contact is created while Redis is down
            contact = await create_contact(gql, workspace.token, name="Karina")
            await settle()

            # then the mutation succeeded, its event waits undispatched and nothing ran
            event = await Event.get(kind="contact.created", contact_id=pk(contact["id"]))
            assert event.dispatched is False
            assert await runs(gql, workspace.token) == []

            # when Redis is back and the sweep dispatches (twice: the server's own sweeper may race it)
            redis_server.start()
            await dispatch_pending()
            await dispatch_pending()
            await settle()
        finally:
            install_bus(server_bus)
            await bus.disconnect()

    # then the automation ran exactly once
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED"
    assert (await Event.get(id=event.id)).dispatched is True
    kinds = [e["kind"] for e in await contact_timeline(gql, workspace.token, contact["id"])]
    assert kinds.count("task.created") == 1 and kinds.count("automation.run_started") == 1


@pytest.mark.skipif(
    not (REAL_DB and REAL_REDIS),
    reason="workers are separate processes only with Redis; the run is held with a PostgreSQL lock",
)
async def test_a_worker_killed_mid_run_is_replaced_and_the_action_happens_once(gql, server, workspace):
    # given a stage rule that creates a task, and no worker but the ones this test starts
    pipeline = await create_pipeline(gql, workspace.token)
    await create_rule(gql, workspace.token, name="Ligar", **call_task_rule(pipeline["stage"]["Em contato"]))
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    quick = {
        # A dead worker's messages go back to the queue after 2 s of silence,
        # checked on every broker call (production: 60 s, 1 in 1,000 calls).
        "REVGRAPH_WORKER_HEARTBEAT_TIMEOUT_MS": "2000",
        "REVGRAPH_WORKER_MAINTENANCE_CHANCE": "1000000",
    }
    with session_worker_paused(server):
        await _kill_a_worker_mid_run(gql, workspace, pipeline, deal, quick)

    # and the action happened exactly once
    [run] = await runs(gql, workspace.token)
    assert run["stepsDone"] == 1
    timeline = await deal_timeline(gql, workspace.token, deal["id"])
    assert [e["kind"] for e in timeline].count("task.created") == 1
    assert await Task.filter(deal_id=pk(deal["id"])).count() == 1


async def _kill_a_worker_mid_run(
    gql: Any, workspace: Any, pipeline: dict[str, Any], deal: dict[str, Any], quick: dict[str, str]
) -> None:
    import asyncpg

    lock = await asyncpg.connect(os.environ["REVGRAPH_DATABASE_URL"])
    doomed = replacement = None
    try:
        # and the task table locked, so the worker's step waits inside its transaction
        hold = lock.transaction()
        await hold.start()
        await lock.execute("LOCK TABLE task IN SHARE ROW EXCLUSIVE MODE")
        doomed = start_worker(**quick)

        # when the deal enters the stage and the worker is killed while inserting the task
        await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
        await _until(lambda: _waiting_on_task_table(lock), what="the worker to block on the task table")
        [run] = await runs(gql, workspace.token)
        assert run["status"] in ("PENDING", "RUNNING") and run["stepsDone"] == 0
        stop_worker(doomed, kill=True)
        await hold.rollback()
        replacement = start_worker(**quick)

        # then its message is redelivered to the new worker, and the run finishes
        async def finished() -> bool:
            return (await runs(gql, workspace.token))[0]["status"] == "SUCCEEDED"

        await _until(finished, what="the run to succeed on the replacement worker", timeout=60)
    finally:
        for process in (doomed, replacement):
            if process is not None:
                stop_worker(process, kill=process is doomed)
        await lock.close()


async def _waiting_on_task_table(connection: Any) -> bool:
    waiting = await connection.fetchval(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'task' AND NOT l.granted"
    )
    return waiting > 0


async def _until(check: Any, *, what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
