"""The embedded task runner: Dramatiq actors run inside the server process,
on the server's own loop (the loop bridge STACK.md asks for), with the delay
and retry options the Redis worker honours. Every test declares its actors
on a fresh EmbeddedBroker, never on the process's global one."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import dramatiq
import pytest

from revgraph.models.identity import Workspace
from revgraph.tasks.broker import EmbeddedBroker


@pytest.fixture
async def embedded() -> AsyncIterator[EmbeddedBroker]:
    broker = EmbeddedBroker()
    broker.attach(asyncio.get_running_loop())
    try:
        yield broker
    finally:
        await broker.stop()


async def test_an_async_actor_runs_on_the_callers_loop_and_writes_through_the_orm(server, embedded):
    # given an async actor that writes a row
    loops: list[asyncio.AbstractEventLoop] = []

    @dramatiq.actor(broker=embedded)
    async def open_workspace(name: str) -> None:
        loops.append(asyncio.get_running_loop())
        await Workspace.create(name=name)

    # when it is sent and the runner drains
    open_workspace.send("Imobiliária do Actor")
    await embedded.join_all(timeout=10)
    # then it ran on this loop and its write is visible here
    assert loops == [asyncio.get_running_loop()]
    assert await Workspace.filter(name="Imobiliária do Actor").count() == 1


async def test_a_delayed_message_waits_its_delay(embedded):
    # given an actor that notes when it ran
    ran_at: list[float] = []

    @dramatiq.actor(broker=embedded)
    async def remind() -> None:
        ran_at.append(time.monotonic())

    # when it is sent with a 300 ms delay
    sent_at = time.monotonic()
    remind.send_with_options(delay=300)
    await asyncio.sleep(0.1)
    # then it has not run early, and runs once the delay passed
    assert ran_at == []
    await embedded.join_all(timeout=10)
    assert len(ran_at) == 1
    assert ran_at[0] - sent_at >= 0.3


async def test_a_failing_actor_is_retried_with_backoff_then_dead_lettered(embedded):
    # given an actor that always fails, with 2 retries and 100-400 ms backoff
    attempts: list[float] = []
    dead: list[tuple[str, str]] = []
    embedded.on_dead_letter.append(lambda message, exc: dead.append((message.actor_name, str(exc))))

    @dramatiq.actor(broker=embedded, max_retries=2, min_backoff=100, max_backoff=400)
    async def flaky_webhook(url: str) -> None:
        attempts.append(time.monotonic())
        raise ConnectionError(f"{url} refused")

    # when it is sent
    message = flaky_webhook.send("https://example.com/hook")
    await embedded.join_all(timeout=10)
    # then it ran once plus its 2 retries, waiting longer each time
    # (full jitter: retry n waits between half and all of min_backoff * 2^(n-1))
    assert len(attempts) == 3
    first_wait, second_wait = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert 0.05 <= first_wait < 0.5
    assert 0.1 <= second_wait < 0.7
    # and after the last retry it is a dead letter
    assert [m.message_id for m in embedded.dead_letters] == [message.message_id]
    assert dead == [("flaky_webhook", "https://example.com/hook refused")]


async def test_a_message_option_overrides_the_actors_retry_option(embedded):
    # given an actor allowing many retries
    attempts = 0

    @dramatiq.actor(broker=embedded, max_retries=20, min_backoff=10)
    async def import_rows() -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("bad row")

    # when one message asks for none
    import_rows.send_with_options(max_retries=0)
    await embedded.join_all(timeout=10)
    # then it ran once and was dead-lettered
    assert attempts == 1
    assert len(embedded.dead_letters) == 1


async def test_an_exception_the_actor_throws_on_purpose_is_not_retried(embedded):
    # given an actor declaring that a bad payload is final
    attempts = 0

    @dramatiq.actor(broker=embedded, max_retries=5, min_backoff=10, throws=(ValueError,))
    async def validate_lead() -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("no phone and no e-mail")

    # when it fails with that exception
    validate_lead.send()
    await embedded.join_all(timeout=10)
    # then it is dead-lettered at once
    assert attempts == 1
    assert len(embedded.dead_letters) == 1


async def test_a_sync_actor_runs_in_a_thread_and_may_enqueue_from_there(embedded):
    # given a sync actor that hands work on to an async one
    threads: list[int] = []
    handed_on: list[str] = []

    @dramatiq.actor(broker=embedded)
    async def notify(text: str) -> None:
        threads.append(threading.get_ident())
        handed_on.append(text)

    @dramatiq.actor(broker=embedded)
    def parse_csv(text: str) -> None:
        threads.append(threading.get_ident())
        notify.send(text.upper())

    # when the sync actor is sent
    parse_csv.send("linha")
    await embedded.join_all(timeout=10)
    await embedded.join_all(timeout=10)
    # then it ran off the loop's thread, and the async one back on it
    loop_thread = threading.get_ident()
    assert handed_on == ["LINHA"]
    assert threads[0] != loop_thread
    assert threads[1] == loop_thread


async def test_sending_before_the_runner_is_attached_is_refused():
    # given a runner not attached to any loop (the server has not started)
    broker = EmbeddedBroker()

    @dramatiq.actor(broker=broker)
    async def anything() -> None:
        pass

    # when a message is sent, then it is refused loudly rather than lost
    with pytest.raises(RuntimeError, match="not started"):
        anything.send()


async def test_join_running_waits_for_running_work_and_drops_what_waits(embedded):
    # given a delayed message, and a running one that schedules a delayed follow-up
    ran: list[str] = []

    @dramatiq.actor(broker=embedded)
    async def later() -> None:
        ran.append("later")

    @dramatiq.actor(broker=embedded)
    async def working() -> None:
        await asyncio.sleep(0.2)
        ran.append("working")
        later.send_with_options(delay=60_000)

    later.send_with_options(delay=60_000)
    working.send()
    await asyncio.sleep(0.05)
    # when the runner is joined the way the suite does between tests
    started = time.monotonic()
    await embedded.join_running(timeout=10)
    # then the running work finished, and nothing waits (both delays dropped) without waiting a minute
    assert ran == ["working"]
    assert not embedded.inflight and not embedded.waiting
    assert time.monotonic() - started < 5
