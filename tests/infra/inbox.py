"""Listening to the event bus from a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any


class Inbox:
    """Drains a bus listener into a queue, so a test can wait with a timeout
    without cancelling (and so closing) the listener's async generator."""

    def __init__(self, events: AsyncIterator[Any]) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.task = asyncio.create_task(self._drain(events))

    async def _drain(self, events: AsyncIterator[Any]) -> None:
        async for event in events:
            self.queue.put_nowait(event)

    async def next(self, timeout: float = 5.0) -> Any:
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def until(self, predicate: Any, timeout: float = 10.0) -> list[Any]:
        """Everything received up to and including the first item matching
        `predicate`; TimeoutError if none arrives in time."""
        received: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            item = await self.next(timeout=max(0.0, deadline - loop.time()))
            received.append(item)
            if predicate(item):
                return received

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
