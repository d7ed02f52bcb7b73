"""GraphQL surface of the deals report (`dealReport`): deals created, won
and lost per bucket; every figure is defined in resolvers/reports/deals.py."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.reports import deals as report
from revgraph.schema.common import ctx_of, query
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.report_types import DealsOwnerArgument, DealsTeamArgument, ReportRange


@strawberry.enum(
    description='What dealReport groups the deals by. A deal without the value is in the bucket with key "" labelled "—".'
)
class DealDimension(Enum):
    OWNER = strawberry.enum_value(
        "OWNER", description="The deal's owner now: key the User id, label their name."
    )
    TEAM = strawberry.enum_value(
        "TEAM", description="The team of the deal's owner now: key the Team id, label its name."
    )
    SOURCE = strawberry.enum_value(
        "SOURCE",
        description="The source (channel of origin) of the deal's contact now: key = label = the source.",
    )
    DEVELOPMENT = strawberry.enum_value(
        "DEVELOPMENT",
        description="The deal's empreendimento now: key the Development id, label its name.",
    )
    STAGE = strawberry.enum_value(
        "STAGE", description="The deal's stage now: key the Stage id, label its name."
    )
    DAY = strawberry.enum_value(
        "DAY",
        description='When it happened (creation; first entry in the range into a WON / LOST stage), day in the workspace\'s timezone: key "2026-12-05", label "05/12/2026".',
    )
    WEEK = strawberry.enum_value(
        "WEEK",
        description='As DAY, by ISO week (Monday to Sunday): key "2026-W49", label "Semana 49 de 2026".',
    )
    MONTH = strawberry.enum_value(
        "MONTH", description='As DAY, by month: key "2026-12", label "dezembro de 2026".'
    )


@strawberry.type(
    description="One bucket of dealReport: the deals created, won and lost in the range, with their values now summed in the workspace's currency (deals in another currency are counted, not summed; a deal without a value adds 0)."
)
class DealBucket:
    key: str = strawberry.field(
        description='What the bucket groups by: an id (User, Team, Development, Stage), a source, or a calendar period ("2026-12-05", "2026-W49", "2026-12"); "" for none.'
    )
    label: str = strawberry.field(
        description='The key for people (a name, the source, a period in pt-BR); "—" for none.'
    )
    created: int = strawberry.field(description="Deals created in the range (their first stage transition).")
    won: int = strawberry.field(description="Distinct deals that entered a WON stage in the range.")
    lost: int = strawberry.field(
        description="Distinct deals that entered a LOST stage in the range (a deal won and lost in the range counts in both)."
    )
    created_value: Decimal = strawberry.field(description="The created deals' value.")
    won_value: Decimal = strawberry.field(description="The won deals' value.")
    lost_value: Decimal = strawberry.field(description="The lost deals' value.")

    @classmethod
    def of(cls, row: report.DealBucket) -> DealBucket:
        return cls(
            key=row.key,
            label=row.label,
            created=row.created,
            won=row.won,
            lost=row.lost,
            created_value=row.created_value,
            won_value=row.won_value,
            lost_value=row.lost_value,
        )


@strawberry.type
class DealReportQuery:
    @strawberry.field(
        description="Deals created, won and lost in `range`, by `by`, counting the live deals the caller may see (ADMIN: all; MANAGER: their team subtree's; AGENT: their own) by their owner now; `pipelineId` (deals in it now; wins and losses into its stages), `teamId` (deals owned by members of the team or of any team below it) and `ownerId` only narrow it. History comes from the deals' stage transitions, so with a pipeline the totals of won and lost are the funnel's. DAY/WEEK/MONTH: one bucket per period the range touches, in calendar order, empty ones included. Other dimensions: buckets with a figure only, most deals (created + won + lost) first, then by label. An id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field`; a bad range is INVALID.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*report.READS, by_deal_owner=True),
    )
    async def deal_report(
        self,
        info: Info,
        report_range: Annotated[
            ReportRange, strawberry.argument(name="range", description="The range [from, to).")
        ],
        by: Annotated[DealDimension, strawberry.argument(description="What to group the deals by.")],
        pipeline_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only deals in this pipeline (archived ones too)."),
        ] = None,
        team_id: DealsTeamArgument = None,
        owner_id: DealsOwnerArgument = None,
    ) -> list[DealBucket]:
        buckets = await query(
            report.deal_report(
                ctx_of(info),
                by.value,
                report_range.from_,
                report_range.to,
                pipeline_id=pipeline_id,
                team_id=team_id,
                owner_id=owner_id,
            )
        )
        return [DealBucket.of(b) for b in buckets]
