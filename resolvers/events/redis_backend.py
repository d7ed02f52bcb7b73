"""A broadcaster backend on redis.asyncio pub/sub that survives what
broadcaster 0.3.1's own Redis backend does not (STACK.md):

- redis-py >= 8: its listener woke before SUBSCRIBE completed, saw no
  channels and exited for good. Here SUBSCRIBE completes first, then the
  reader is woken, and the reader never exits on an empty channel set.
- a dropped connection (CLIENT KILL, Redis restart): the reader backs off,
  reconnects, replays SUBSCRIBE for every channel, and then emits a RESYNC
  marker on each channel so subscribers re-read what they may have missed
  from the event log (pub/sub itself does not keep messages).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RESYNC = "__resync__"


class ResilientRedisBackend(BroadcastBackend):
    def __init__(self, url: str, *, max_backoff: float = 5.0) -> None:
        self._url = url
        self._max_backoff = max_backoff
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        # Set when SUBSCRIBE or a read failed: only the reader reconnects.
        self._broken = False
        self._reader: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self.reconnects = 0

    async def connect(self) -> None:
        self._client = aioredis.from_url(self._url, health_check_interval=10, socket_keepalive=True)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._reader = asyncio.create_task(self._read_loop(), name="redis-pubsub-reader")

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
        if self._pubsub is not None:
            try:
                await self._pubsub.aclose()
            except Exception:  # already broken: nothing left to close
                pass
        if self._client is not None:
            await self._client.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        async with self._lock:
            try:
                await self._pubsub.subscribe(channel)
            except (RedisConnectionError, RedisTimeoutError, OSError):
                # The reader reconnects and replays SUBSCRIBE for every channel.
                log.warning("SUBSCRIBE %s failed; will resubscribe on reconnect", channel)
                self._broken = True
        self._wake.set()

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        async with self._lock:
            try:
                await self._pubsub.unsubscribe(channel)
            except (RedisConnectionError, RedisTimeoutError, OSError):
                pass

    async def ping(self) -> None:
        assert self._client is not None, "connect() first"
        await self._client.ping()

    async def publish(self, channel: str, message: Any) -> None:
        assert self._client is not None, "connect() first"
        await self._client.publish(channel, message)

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """PUBLISH each (channel, message) in order, in one round trip."""
        assert self._client is not None, "connect() first"
        async with self._client.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            await pipe.execute()

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _read_loop(self) -> None:
        backoff = 0.1
        while True:
            if self._broken:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                await self._reconnect()
                continue
            if not self._pubsub.subscribed:
                # No SUBSCRIBE sent on this connection yet (or the last
                # UNSUBSCRIBE was confirmed): wait to be woken, never exit.
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError, RuntimeError) as exc:
                log.warning("redis pub/sub connection lost (%s); reconnecting", exc)
                self._broken = True
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            data = message["data"]
            if isinstance(channel, bytes):
                channel = channel.decode()
            if isinstance(data, bytes):
                data = data.decode()
            self._queue.put_nowait(Event(channel, data))

    async def _reconnect(self) -> None:
        async with self._lock:
            try:
                await self._pubsub.aclose()
            except Exception:  # the old connection is already gone
                pass
            self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            channels = sorted(self._channels)
            try:
                if channels:
                    await self._pubsub.subscribe(*channels)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("resubscribe failed (%s); retrying", exc)
                return
            self._broken = False
        self.reconnects += 1
        log.info("redis pub/sub reconnected; resubscribed %d channel(s)", len(channels))
        for channel in channels:
            self._queue.put_nowait(Event(channel, RESYNC))
