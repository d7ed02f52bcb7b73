"""The per-process snapshot cache of live streams (resolvers/live_streams.py):
one read of an event's rows, shared by every subscriber of the process,
bounded, and never broken for the others by one subscriber going away
mid-read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from revgraph.resolvers.live_streams import EventSnapshot, SnapshotCache

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Reads:
    """Row reads that wait until the test releases them, counted."""

    def __init__(self) -> None:
        self.count = 0
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self) -> str:
        self.count += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("the database went away")
        return "rows"


async def test_a_subscriber_cancelled_mid_read_does_not_break_the_read_for_the_others():
    # given two subscribers waiting on the same event's read
    cache, reads = SnapshotCache(), Reads()
    first = asyncio.create_task(cache.get(1, AT, reads))
    second = asyncio.create_task(cache.get(1, AT, reads))
    await asyncio.sleep(0)

    # when the one that started the read goes away (its socket closed)
    first.cancel()
    await asyncio.sleep(0)
    reads.release.set()

    # then the other still gets the snapshot, read once, and it stays cached
    snapshot = await asyncio.wait_for(second, 1)
    assert isinstance(snapshot, EventSnapshot) and snapshot.rows == "rows"
    assert first.cancelled()
    assert reads.count == 1
    assert await asyncio.wait_for(cache.get(1, AT, reads), 1) is snapshot
    assert reads.count == 1


async def test_a_waiting_subscriber_cancelled_does_not_cancel_the_read():
    # given a read under way and a second subscriber waiting on it
    cache, reads = SnapshotCache(), Reads()
    reader = asyncio.create_task(cache.get(1, AT, reads))
    waiter = asyncio.create_task(cache.get(1, AT, reads))
    await asyncio.sleep(0)

    # when the waiter goes away before the read finished
    waiter.cancel()
    await asyncio.sleep(0)
    reads.release.set()

    # then the reader gets its snapshot
    assert (await asyncio.wait_for(reader, 1)).rows == "rows"


async def test_a_failed_read_is_not_kept():
    # given a read that fails
    cache, reads = SnapshotCache(), Reads()
    reads.fail = True
    reads.release.set()
    with pytest.raises(ConnectionError):
        await cache.get(1, AT, reads)

    # when the event is asked for again
    reads.fail = False
    snapshot = await cache.get(1, AT, reads)

    # then it is read again
    assert snapshot.rows == "rows" and reads.count == 2


async def test_the_cache_is_bounded():
    cache, reads = SnapshotCache(size=3), Reads()
    reads.release.set()
    for event_id in range(10):
        await cache.get(event_id, AT, reads)
    assert len(cache.entries) == 3 and reads.count == 10
