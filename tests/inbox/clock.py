"""A controlled clock for the inbox's use cases, so measured durations are
exact: the server runs in the test process, and the inbox modules read
the time through their module's `datetime`, which `freeze` replaces with
one whose now() is the test's. Row timestamps the ORM writes itself
(created_at) and the event log's keep the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from revgraph.resolvers.inbox import conversations, csat, intake, replies, report, sla

# Every inbox module that asks for the time in the flows the tests drive.
MODULES = (conversations, csat, intake, replies, report, sla)


class Clock:
    """The time the inbox sees: starts a day ahead, on a whole second, and
    moves only when the test moves it. Ahead, so a `revgraph worker` in
    another process (PostgreSQL + Redis runs), whose timers read the real
    time, never finds a deadline of the test's history due."""

    def __init__(self) -> None:
        self.start = self.current = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current

    def at(self, seconds: float = 0) -> str:
        """`seconds` from now on this clock, as an ISO DateTime input."""
        return (self.current + timedelta(seconds=seconds)).isoformat()


def freeze(monkeypatch: Any) -> Clock:
    clock = Clock()

    class FrozenDatetime(datetime):
        """Only now() differs; whatever it builds is a plain datetime, which
        is what the database drivers take."""

        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return clock.current if tz is not None else clock.current.replace(tzinfo=None)

        @classmethod
        def fromisoformat(cls, value: str) -> datetime:  # type: ignore[override]
            return datetime.fromisoformat(value)

    for module in MODULES:
        monkeypatch.setattr(module, "datetime", FrozenDatetime)
    return clock
