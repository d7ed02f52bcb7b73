"""The Redis pub/sub backend against the three failure modes STACK.md
measured for broadcaster 0.3.1: redis-py 8 delivering nothing, concurrent
first subscribers racing, and a dropped connection going silent."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis
from broadcaster import Broadcast

from revgraph.resolvers.events.bus import EventBus, SafeBroadcast
from revgraph.resolvers.events.redis_backend import ResilientRedisBackend
from revgraph.resolvers.settings import Settings
from tests.conftest import IN_CI
from tests.infra.conftest import SHARED_REDIS_URL
from tests.infra.inbox import Inbox
from tests.infra.private_redis import PrivateRedis

REDIS_URL = os.environ.get("REVGRAPH_TEST_REDIS_URL") or SHARED_REDIS_URL
SUBSCRIBERS = 50


@pytest.fixture
async def shared_redis() -> AsyncIterator[str]:
    """The machine's Redis; each test uses channels no one else uses."""
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (redis.ConnectionError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable")
    finally:
        await client.aclose()
    yield REDIS_URL


def unique_channel() -> str:
    return f"rgtest-infra-{uuid.uuid4().hex}"


async def connected(broadcast: Broadcast) -> Broadcast:
    await broadcast.connect()
    return broadcast


async def next_message(subscriber, timeout: float = 5.0):
    return await asyncio.wait_for(subscriber.get(), timeout)


async def publish_until_received(bus: EventBus, inbox: Inbox, marker: dict) -> list:
    """Publish `marker` repeatedly until it arrives and return everything
    received meanwhile: when the reader is back is not ours to know, and
    pub/sub keeps nothing published while nobody listened."""
    received: list = []
    for _ in range(100):
        try:
            await bus.publish([marker])
        except (redis.ConnectionError, OSError):
            pass
        try:
            while True:
                event = await inbox.next(timeout=0.2)
                received.append(event)
                if event is not None and event["id"] == marker["id"]:
                    return received
        except TimeoutError:
            continue
    return received


async def test_a_message_published_after_subscribe_is_delivered_with_redis_py_8(shared_redis):
    # given redis-py 8, where broadcaster's own backend delivers nothing
    assert int(redis.__version__.split(".")[0]) >= 8
    broadcast = await connected(SafeBroadcast(backend=ResilientRedisBackend(shared_redis)))
    channel = unique_channel()
    try:
        async with broadcast.subscribe(channel) as subscriber:
            # when a message is published after SUBSCRIBE
            await broadcast.publish(channel, "hello")
            # then it arrives
            event = await next_message(subscriber)
            assert (event.channel, event.message) == (channel, "hello")
    finally:
        await broadcast.disconnect()


async def test_broadcasters_stock_redis_backend_delivers_nothing_with_redis_py_8(shared_redis):
    # given broadcaster's own Redis backend (why ResilientRedisBackend exists)
    broadcast = await connected(Broadcast(shared_redis))
    channel = unique_channel()
    try:
        async with broadcast.subscribe(channel) as subscriber:
            # when a message is published after SUBSCRIBE
            await broadcast.publish(channel, "hello")
            # then nothing arrives: if this starts passing upstream, revisit STACK.md
            with pytest.raises(TimeoutError):
                await next_message(subscriber, timeout=1.0)
    finally:
        await broadcast.disconnect()


async def _fifty_first_subscribers(broadcast: Broadcast, channel: str) -> list:
    entered = 0
    all_in = asyncio.Event()
    published = asyncio.Event()

    async def subscriber() -> str:
        nonlocal entered
        async with broadcast.subscribe(channel) as sub:
            entered += 1
            if entered == SUBSCRIBERS:
                all_in.set()
            await published.wait()
            event = await next_message(sub)
            return event.message

    tasks = [asyncio.create_task(subscriber()) for _ in range(SUBSCRIBERS)]
    await asyncio.wait_for(all_in.wait(), 10)
    await broadcast.publish(channel, "to everyone")
    published.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_fifty_concurrent_first_subscribers_all_receive_and_unsubscribe_cleanly(shared_redis):
    # given 50 subscribers entering one unused channel at the same time
    broadcast = await connected(SafeBroadcast(backend=ResilientRedisBackend(shared_redis)))
    channel = unique_channel()
    try:
        # when one message is published once all are in
        results = await _fifty_first_subscribers(broadcast, channel)
        # then every subscriber got it and left without an error
        assert results == ["to everyone"] * SUBSCRIBERS
        assert channel not in broadcast._subscribers
        # and the channel was unsubscribed at Redis
        probe = aioredis.from_url(shared_redis)
        try:
            assert await probe.pubsub_numsub(channel) == [(channel.encode(), 0)]
        finally:
            await probe.aclose()
    finally:
        await broadcast.disconnect()


async def test_broadcasters_stock_subscribe_loses_concurrent_first_subscribers(shared_redis):
    # given broadcaster's own Broadcast.subscribe over a backend whose
    # SUBSCRIBE yields (why SafeBroadcast exists)
    broadcast = await connected(Broadcast(backend=ResilientRedisBackend(shared_redis)))
    channel = unique_channel()
    try:
        # when 50 first subscribers race
        results = await _fifty_first_subscribers(broadcast, channel)
        # then some never receive the message or fail leaving (KeyError)
        failures = [r for r in results if r != "to everyone"]
        assert failures, "stock Broadcast no longer races: revisit SafeBroadcast and STACK.md"
        assert any(isinstance(r, (KeyError, TimeoutError)) for r in failures)
    finally:
        await broadcast.disconnect()


async def test_disconnect_closes_the_backend_even_when_the_listener_was_already_cancelled(shared_redis):
    # given a bus whose listener task was cancelled (the loop shutting down)
    backend = ResilientRedisBackend(shared_redis)
    broadcast = await connected(SafeBroadcast(backend=backend))
    broadcast._listener_task.cancel()
    await asyncio.sleep(0)
    # when it is disconnected, then no CancelledError escapes
    # (broadcaster's own disconnect re-raises it and skips the backend)
    await broadcast.disconnect()
    # and the backend's reader and connections are closed
    assert backend._reader.done()


def _bus(url: str) -> EventBus:
    return EventBus(Settings(redis_url=url, redis_prefix=f"rgtest-infra-{uuid.uuid4().hex[:8]}"))


def _wire(event_id: int) -> dict:
    return {"id": event_id, "workspace_id": 1, "kind": "TEST", "summary": f"event {event_id}"}


async def test_after_client_kill_the_backend_resubscribes_emits_resync_and_delivers(
    private_redis: PrivateRedis,
):
    # given a bus listening on a private Redis
    bus = _bus(private_redis.url)
    await bus.connect()
    try:
        async with bus.listen(1) as events:
            inbox = Inbox(events)
            await bus.publish([_wire(1)])
            assert (await inbox.next())["id"] == 1
            # when Redis drops every pub/sub connection
            killed = private_redis.client().client_kill_filter(_type="pubsub")
            assert killed >= 1
            # then the listener is told it may have missed something (RESYNC)
            assert await inbox.next(timeout=10) is None
            # and later messages are delivered again
            await bus.publish([_wire(2)])
            assert (await inbox.next())["id"] == 2
            assert bus.redis_backend.reconnects == 1
            await inbox.close()
    finally:
        await bus.disconnect()


async def test_delivery_resumes_after_redis_stops_and_restarts_on_the_same_port(
    private_redis: PrivateRedis,
):
    # given a bus listening on a private Redis
    bus = _bus(private_redis.url)
    await bus.connect()
    try:
        async with bus.listen(1) as events:
            inbox = Inbox(events)
            await bus.publish([_wire(1)])
            assert (await inbox.next())["id"] == 1
            # when Redis goes away for a while and comes back on the same port
            private_redis.stop()
            await asyncio.sleep(0.5)
            private_redis.start()
            # then the listener gets a RESYNC marker, then later messages
            received = await publish_until_received(bus, inbox, _wire(2))
            assert received and received[-1] == _wire(2), received
            assert received[0] is None
            assert bus.redis_backend.reconnects >= 1
            await inbox.close()
    finally:
        await bus.disconnect()
