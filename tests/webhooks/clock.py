"""A controlled clock for webhook delivery (as tests/inbox/clock.py does for
the inbox): the delivery and endpoint modules read the time through their
module's `datetime`, replaced here by one whose now() is the test's. Ahead
of the real time by a day, so nothing a real-time process schedules falls
due in the test's history. Event rows keep the real time."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from revgraph.models.webhooks import WebhookDelivery
from revgraph.resolvers.webhooks import delivery, endpoints
from tests.conftest import REAL_REDIS, session_worker_paused

MODULES = (delivery, endpoints)


class Clock:
    def __init__(self) -> None:
        self.start = self.current = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def freeze(monkeypatch: Any) -> Clock:
    clock = Clock()

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return clock.current if tz is not None else clock.current.replace(tzinfo=None)

    for module in MODULES:
        monkeypatch.setattr(module, "datetime", FrozenDatetime)
    return clock


def worker_paused(server: Any) -> Any:
    """With Redis the session's worker (real time) is stopped while the test
    drives the endpoint on its own clock; embedded, actors run in this
    process and see the test's clock already."""
    return session_worker_paused(server) if REAL_REDIS else contextlib.nullcontext()


async def drive(server: Any, endpoint_pk: int, clock: Clock, *, until: Any, max_runs: int = 80) -> int:
    """Run the endpoint, moving the clock to each retry's time, until
    `until()` holds; the number of runs it took."""
    for runs in range(1, max_runs + 1):
        await delivery.run_endpoint(server.settings, endpoint_pk)
        if await until():
            return runs
        head = (
            await WebhookDelivery.filter(endpoint_id=endpoint_pk, status__in=delivery.OPEN)
            .order_by("event_id")
            .first()
        )
        if head is not None and head.next_attempt_at is not None and head.next_attempt_at > clock.current:
            clock.current = head.next_attempt_at
        else:
            # Past the lease of an actor running beside the test.
            clock.advance(seconds=61)
    raise AssertionError(f"not reached after {max_runs} runs")
