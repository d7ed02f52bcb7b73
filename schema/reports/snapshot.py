"""GraphQL surface of propostas em negociação and the forecast
(`pipelineSnapshot`); every figure is defined in resolvers/reports/snapshot.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.reports import snapshot as report
from revgraph.schema.common import ctx_of, query
from revgraph.schema.deals import Pipeline, Stage
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.report_types import Bucket, DealsOwnerArgument, DealsTeamArgument

MONEY = "in the workspace's currency (deals in another currency are counted, not summed; a deal without a value adds 0)"


@strawberry.type(description="An OPEN stage's row of pipelineSnapshot: the open deals in it now.")
class SnapshotStage:
    stage: Stage = strawberry.field(description="The stage.")
    count: int = strawberry.field(description="Live deals the caller may see in the stage now.")
    value: Decimal = strawberry.field(description=f"Their value summed {MONEY}.")
    weighted_value: Decimal = strawberry.field(
        description="value × the stage's probability / 100, rounded to cents."
    )

    @classmethod
    def of(cls, row: report.SnapshotStage) -> SnapshotStage:
        return cls(
            stage=Stage.of(row.stage), count=row.count, value=row.value, weighted_value=row.weighted_value
        )


@strawberry.type(
    description="Propostas em negociação and the forecast: a pipeline's open deals now (no range), counting the live deals the caller may see by their owner now, in OPEN stages."
)
class PipelineSnapshot:
    pipeline: Pipeline = strawberry.field(description="The pipeline.")
    stages: list[SnapshotStage] = strawberry.field(
        description="Its active OPEN stages in board order, with any archived OPEN stage that holds deals (at its last position)."
    )
    count: int = strawberry.field(description="Open deals: the sum of the stages' counts.")
    value: Decimal = strawberry.field(description="Their value: the sum of the stages' values.")
    weighted_value: Decimal = strawberry.field(
        description="Probability-weighted open value: the sum of the stages' weightedValue."
    )
    forecast: list[Bucket] = strawberry.field(
        description='The open deals by expected close month in the workspace\'s timezone (key "2026-12", label "dezembro de 2026"), in calendar order (past months included, empty months left out), then those without a date (key "" labelled "—"). count: the deals; value: Σ value × probability / 100 of the stage each is in, rounded to cents once per bucket.'
    )

    @classmethod
    def of(cls, row: report.PipelineSnapshot) -> PipelineSnapshot:
        return cls(
            pipeline=Pipeline.of(row.pipeline),
            stages=[SnapshotStage.of(s) for s in row.stages],
            count=row.count,
            value=row.value,
            weighted_value=row.weighted_value,
            forecast=[Bucket.of(b) for b in row.forecast],
        )


@strawberry.type
class PipelineSnapshotQuery:
    @strawberry.field(
        description="The open deals of a pipeline (archived ones too) now, by stage and by expected close month: propostas em negociação and the forecast. Counts the live deals the caller may see (ADMIN: all; MANAGER: their team subtree's; AGENT: their own) by their owner now; `teamId` (deals owned by members of the team or of any team below it) and `ownerId` only narrow it. An id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field` (and `pipelineSnapshot` is null).",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*report.READS, by_deal_owner=True),
    )
    async def pipeline_snapshot(
        self,
        info: Info,
        pipeline_id: Annotated[strawberry.ID, strawberry.argument(description="The pipeline.")],
        team_id: DealsTeamArgument = None,
        owner_id: DealsOwnerArgument = None,
    ) -> PipelineSnapshot | None:
        found = await query(
            report.pipeline_snapshot(ctx_of(info), pipeline_id, team_id=team_id, owner_id=owner_id)
        )
        return PipelineSnapshot.of(found)
