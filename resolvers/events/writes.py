"""Writes in flight in this process: units of work (resolvers/events), and
mutations from the moment they execute (schema/poll.py counts them, so the
reads a use case makes before its transaction count too).

Report computations consult it before they start (resolvers/poll_cache.py
ComputationTurns), and before each of their statements (`writes_first`,
through resolvers/database.py `report_reads`): a write should not queue for
the process, or for its database connection (SQLite: one for everyone,
taken in turn), behind a dashboard's report, which can wait a moment.

Kept per event loop: a process serves from one loop; tests run each on a
loop of their own, and a write a finished loop left open must not hold
another loop's reports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from weakref import WeakKeyDictionary

# Waiters given up (done) are dropped from the list once it is this long.
PRUNE_AT = 64
# The longest writes in flight hold one statement of a report computation
# (`writes_first`): the computation pauses between its statements, at most
# this long each time, while moves run.
STATEMENT_HOLD_SECONDS = 0.05


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


class HeldTime:
    """The seconds a computation's statements waited for writes (`writes_first`)."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds = 0.0


# The HeldTime of the computation running in this task (and the tasks it starts).
_held: ContextVar[HeldTime | None] = ContextVar("report_held", default=None)


@contextmanager
def holding() -> Iterator[HeldTime]:
    """Within: `writes_first` adds the time it held this task's statements to what this yields."""
    held = HeldTime()
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def held_time() -> HeldTime | None:
    """The HeldTime of the computation running in this task (None outside one)."""
    return _held.get()


async def writes_first(hold: float | None = None) -> None:
    """Before a report computation's statement: wait until no write is in
    flight in the process, at most `hold` seconds (STATEMENT_HOLD_SECONDS:
    writes one after the other must not stop the dashboards). Nothing to
    wait for: no pause."""
    if hold is None:
        hold = STATEMENT_HOLD_SECONDS
    writes = writes_in_flight()
    if writes.count == 0 or hold <= 0:
        return
    loop = asyncio.get_running_loop()
    began = loop.time()
    quiet = writes.quiet()
    try:
        await asyncio.wait({quiet}, timeout=hold)
    finally:
        quiet.cancel()
        held = _held.get()
        if held is not None:
            held.seconds += loop.time() - began


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
