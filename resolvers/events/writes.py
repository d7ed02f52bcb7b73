"""Writes in flight in this process: units of work (resolvers/events), and
mutations from the moment they execute (schema/poll.py counts them, so the
reads a use case makes before its transaction count too).

Report computations consult it before they start (resolvers/poll_cache.py
ComputationTurns): a write should not queue for the process, or for its
database connection (SQLite: one for everyone, taken in turn), behind a
dashboard's report, which can wait a moment.

Kept per event loop: a process serves from one loop; tests run each on a
loop of their own, and a write a finished loop left open must not hold
another loop's reports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

# Waiters given up (done) are dropped from the list once it is this long.
PRUNE_AT = 64


class WritesInFlight:
    """How many writes are open on one loop, and who waits for none."""

    def __init__(self) -> None:
        self.count = 0
        self._quiet: list[asyncio.Future[None]] = []

    @contextmanager
    def open(self) -> Iterator[None]:
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                waiting, self._quiet = self._quiet, []
                for future in waiting:
                    if not future.done():
                        future.set_result(None)

    def quiet(self) -> asyncio.Future[None]:
        """Done when no write is in flight: at once when none is now."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.count == 0:
            future.set_result(None)
        else:
            if len(self._quiet) >= PRUNE_AT:
                # Left by turns that started at their bound: writes never stopped.
                self._quiet = [waiting for waiting in self._quiet if not waiting.done()]
            self._quiet.append(future)
        return future


_by_loop: WeakKeyDictionary[asyncio.AbstractEventLoop, WritesInFlight] = WeakKeyDictionary()


def writes_in_flight() -> WritesInFlight:
    """The running loop's writes."""
    loop = asyncio.get_running_loop()
    found = _by_loop.get(loop)
    if found is None:
        found = _by_loop[loop] = WritesInFlight()
    return found


@contextmanager
def writing() -> Iterator[None]:
    """Count the block as a write in flight (outside a running loop: nothing to pace)."""
    try:
        writes = writes_in_flight()
    except RuntimeError:
        yield
        return
    with writes.open():
        yield
