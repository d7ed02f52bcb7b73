"""What every report measures the same way (reports.graphql): the range
[from, to) it covers, checked once, and duration statistics — count,
average, and median and p90 by nearest rank, in whole seconds — computed
in Python from the rows' seconds, so SQLite and PostgreSQL answer alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import _

# A report reads at most this long a range: beyond it a dashboard asks
# for years of rows at once (two years of trend are two queries).
MAX_RANGE_DAYS = 400


@dataclass(frozen=True)
class ReportWindow:
    """A checked range: `start` included, `end` excluded, both UTC."""

    start: datetime
    end: datetime


def _aware(value: datetime) -> datetime:
    # A DateTime without an offset is read as UTC, like every other input.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_range(start: datetime, end: datetime, field: Sequence[str] = ("range",)) -> ReportWindow:
    """The range [start, end): start before end and at most MAX_RANGE_DAYS
    long, INVALID otherwise."""
    start, end = _aware(start), _aware(end)
    if start >= end:
        raise DomainError("INVALID", _("A report range's `from` must be before its `to`."), [*field, "from"])
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise DomainError(
            "INVALID",
            _("A report range is at most {MAX_RANGE_DAYS} days long.", MAX_RANGE_DAYS=MAX_RANGE_DAYS),
            [*field, "to"],
        )
    return ReportWindow(start, end)


@dataclass(frozen=True)
class DurationStats:
    """Whole seconds; every figure but `count` is None without durations."""

    count: int
    average_seconds: int | None
    median_seconds: int | None
    p90_seconds: int | None


def nearest_rank(ordered: Sequence[int], percent: int) -> int:
    """The nearest-rank percentile of ascending values: the value at rank
    ceil(percent/100 * n), counting from 1."""
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def duration_stats(seconds: Iterable[int]) -> DurationStats:
    """Count, average (rounded to the nearest second, halves up), and median
    and p90 by nearest rank of non-negative whole seconds."""
    ordered = sorted(seconds)
    count = len(ordered)
    if count == 0:
        return DurationStats(0, None, None, None)
    # Integer arithmetic: exact at any size, no float rounding surprises.
    average = (2 * sum(ordered) + count) // (2 * count)
    return DurationStats(count, average, nearest_rank(ordered, 50), nearest_rank(ordered, 90))
