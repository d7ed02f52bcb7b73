"""Under `revgraph worker` an endpoint's run is detached from the Dramatiq
thread that took its message (tasks/webhooks.py): the actor returns at once,
a process holds at most MAX_RUNS runs and sends the rest back, and a
shutdown waits for the runs, then cancels them with their cleanup."""

from __future__ import annotations

import asyncio

import revgraph.tasks.webhooks as webhook_tasks
from revgraph.tasks import broker as tasks_broker


async def test_the_actor_returns_while_its_run_goes_on_and_a_full_process_sends_the_message_back(monkeypatch):
    # given the worker's way (not embedded), room for one more run, and runs that wait to be let go
    monkeypatch.setattr(webhook_tasks, "is_embedded", lambda: False)
    monkeypatch.setattr(webhook_tasks, "MAX_RUNS", len(tasks_broker.DETACHED) + 1)
    release = asyncio.Event()
    ran: list[int] = []

    async def run(endpoint_id: int) -> None:
        ran.append(endpoint_id)
        await release.wait()

    sent: list[tuple] = []
    monkeypatch.setattr(webhook_tasks, "run", run)
    monkeypatch.setattr(
        webhook_tasks.deliver,
        "send_with_options",
        lambda *, args, delay: sent.append((args, delay)),
    )
    actor = getattr(webhook_tasks.deliver.fn, "__wrapped__", webhook_tasks.deliver.fn)
    # when two endpoints' messages come in
    await asyncio.wait_for(actor(1), timeout=1)
    await asyncio.sleep(0)
    await asyncio.wait_for(actor(2), timeout=1)
    # then the first one's run goes on after its actor returned, and the second comes back later
    assert ran == [1]
    running = [t for t in tasks_broker.DETACHED if t.get_name() == "webhooks.deliver:1"]
    assert len(running) == 1 and not running[0].done()
    assert sent == [((2,), webhook_tasks.FULL_DELAY_MS)]
    release.set()
    await asyncio.wait_for(running[0], timeout=1)


async def test_a_shutdown_waits_for_detached_runs_then_cancels_them_with_their_cleanup():
    cleaned: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.05)
        cleaned.append("quick")

    async def hung() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # cleanup that awaits, as releasing a lease does
            cleaned.append("hung")

    tasks = [tasks_broker.detach(quick(), "quick"), tasks_broker.detach(hung(), "hung")]
    await tasks_broker.drain_detached(timeout=0.5)
    assert all(t.done() for t in tasks)
    assert sorted(cleaned) == ["hung", "quick"]
    assert not set(tasks) & tasks_broker.DETACHED
