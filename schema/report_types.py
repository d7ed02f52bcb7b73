"""Types every report shares (reports.graphql): the range it covers and
duration statistics."""

from __future__ import annotations

from datetime import datetime

import strawberry

from revgraph.resolvers import report_measures
from revgraph.resolvers.report_measures import MAX_RANGE_DAYS


@strawberry.input(
    description=f"A report's time range [from, to): `from` included, `to` excluded; ISO-8601 with offset (without one: UTC). `from` must be before `to`, and the range at most {MAX_RANGE_DAYS} days long: otherwise a top-level INVALID error naming the argument."
)
class ReportRange:
    from_: datetime = strawberry.field(name="from", description="Start of the range, included.")
    to: datetime = strawberry.field(description="End of the range, excluded.")


@strawberry.type(
    description="Statistics of a set of durations, in whole seconds. Median and p90 by nearest rank: the value at rank ceil(p/100 × count) of the durations in ascending order. Every figure but `count` is null when there is none."
)
class DurationStats:
    count: int = strawberry.field(description="How many durations were measured.")
    average_seconds: int | None = strawberry.field(
        description="The mean, rounded to the nearest second (halves up)."
    )
    median_seconds: int | None = strawberry.field(description="The median (p50) by nearest rank.")
    p90_seconds: int | None = strawberry.field(description="The 90th percentile by nearest rank.")

    @classmethod
    def of(cls, stats: report_measures.DurationStats) -> DurationStats:
        return cls(
            count=stats.count,
            average_seconds=stats.average_seconds,
            median_seconds=stats.median_seconds,
            p90_seconds=stats.p90_seconds,
        )
