"""GraphQL surface of the funnel (reports.graphql `funnel`); every figure
is defined in resolvers/reports/funnel.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.reports import funnel as report
from revgraph.schema.common import ctx_of, query
from revgraph.schema.deals import Pipeline, Stage
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.report_types import (
    Bucket,
    DealsOwnerArgument,
    DealsTeamArgument,
    DurationStats,
    ReportRange,
)


@strawberry.type(
    description="A stage's row of the funnel over a range [from, to), counting the deals the caller may see."
)
class FunnelStage:
    stage: Stage = strawberry.field(description="The stage.")
    entered: int = strawberry.field(
        description="Distinct deals that entered the stage in the range (created in it counts as entering)."
    )
    converted: int = strawberry.field(
        description="Of those, the deals that afterwards (after their first entry in the range, up to the query) entered a stage of the pipeline of higher position that is OPEN or WON."
    )
    conversion_rate: float | None = strawberry.field(
        description="converted / entered, 0..1 rounded to 4 decimal places; null when entered is 0."
    )
    current: int = strawberry.field(description="Live deals in the stage now (the range plays no part).")
    current_value: Decimal = strawberry.field(
        description="Their value summed in the workspace's currency (deals in another currency are counted in `current`, not summed; a deal without a value adds 0)."
    )
    time_in_stage: DurationStats = strawberry.field(
        description="Stays in the stage that ended in the range (the deal left it in the range, whenever it had entered), each from entering to leaving."
    )

    @classmethod
    def of(cls, row: report.FunnelStage) -> FunnelStage:
        return cls(
            stage=Stage.of(row.stage),
            entered=row.entered,
            converted=row.converted,
            conversion_rate=row.conversion_rate,
            current=row.current,
            current_value=row.current_value,
            time_in_stage=DurationStats.of(row.time_in_stage),
        )


@strawberry.type(
    description="A pipeline's funnel over a range [from, to): per stage and for the range's closes, counting the live deals the caller may see (by their owner now) and including every change committed before the query. Stage history comes from the deals' stage transitions."
)
class Funnel:
    pipeline: Pipeline = strawberry.field(description="The pipeline.")
    stages: list[FunnelStage] = strawberry.field(
        description="Its active stages in board order, with any archived stage that has a figure (at its last position)."
    )
    won: int = strawberry.field(description="Distinct deals that entered a WON stage in the range.")
    lost: int = strawberry.field(
        description="Distinct deals that entered a LOST stage in the range (a deal won and lost in the range counts in both)."
    )
    won_value: Decimal = strawberry.field(
        description="The won deals' value summed in the workspace's currency (others counted, not summed)."
    )
    win_rate: float | None = strawberry.field(
        description="won / (won + lost), 0..1 rounded to 4 decimal places; null when both are 0."
    )
    loss_reasons: list[Bucket] = strawberry.field(
        description='The lost deals by their loss reason as it stands now (key = label = the reason; none, e.g. reopened since: key "" labelled "—"), with their value; largest count first, then by reason. The counts add up to `lost`.'
    )

    @classmethod
    def of(cls, row: report.Funnel) -> Funnel:
        return cls(
            pipeline=Pipeline.of(row.pipeline),
            stages=[FunnelStage.of(s) for s in row.stages],
            won=row.won,
            lost=row.lost,
            won_value=row.won_value,
            win_rate=row.win_rate,
            loss_reasons=[Bucket.of(b) for b in row.loss_reasons],
        )


@strawberry.type
class FunnelQuery:
    @strawberry.field(
        description="The funnel of a pipeline (archived ones too) over `range`, counting the live deals the caller may see (ADMIN: all; MANAGER: their team subtree's; AGENT: their own), by their owner now. `teamId` (deals owned by members of the team or of any team below it) and `ownerId` only narrow it. An id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field` (and `funnel` is null); a bad range is INVALID.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*report.READS, by_deal_owner=True),
    )
    async def funnel(
        self,
        info: Info,
        pipeline_id: Annotated[strawberry.ID, strawberry.argument(description="The pipeline.")],
        report_range: Annotated[
            ReportRange, strawberry.argument(name="range", description="The range [from, to).")
        ],
        team_id: DealsTeamArgument = None,
        owner_id: DealsOwnerArgument = None,
    ) -> Funnel | None:
        found = await query(
            report.funnel(
                ctx_of(info),
                pipeline_id,
                report_range.from_,
                report_range.to,
                team_id=team_id,
                owner_id=owner_id,
            )
        )
        return Funnel.of(found)
