"""Types every report shares (reports.graphql): the range it covers,
duration statistics and buckets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from revgraph.resolvers import report_measures
from revgraph.resolvers.report_measures import MAX_RANGE_DAYS
from revgraph.resolvers.reports import buckets as report_buckets


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


@strawberry.type(
    description='One bucket of a report: what it groups by, for machines and for people, and its figures. Buckets without a value of the dimension (no source, no owner, no reason...) have key "" and label "—".'
)
class Bucket:
    key: str = strawberry.field(
        description='What the bucket groups by: an id (a User, Team, Queue...), a value (a source, a reason, a stage key) or a calendar period ("2026-12-05", ISO week "2026-W49", "2026-12"); "" for none.'
    )
    label: str = strawberry.field(
        description='The key for people: a name, the value itself, or a period in pt-BR ("05/12/2026", "Semana 49 de 2026", "dezembro de 2026"); "—" for none.'
    )
    count: int = strawberry.field(description="How many records are in the bucket.")
    value: Decimal | None = strawberry.field(
        description="Money summed over the bucket's records in the workspace's currency (records in another currency are counted, not summed); null for reports that count without money."
    )

    @classmethod
    def of(cls, bucket: report_buckets.Bucket) -> Bucket:
        return cls(key=bucket.key, label=bucket.label, count=bucket.count, value=bucket.value)


# The arguments the deal reports share (funnel, dealReport, pipelineSnapshot).
DealsTeamArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only deals owned by members of this team or of any team below it."),
]
DealsOwnerArgument = Annotated[
    strawberry.ID | None, strawberry.argument(description="Only deals owned by this user.")
]
