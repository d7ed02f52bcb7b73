"""GraphQL surface of the inbox report (inboxReport): conversation counts,
response and handling times, SLA outcome and CSAT of the conversations
created in a range, under the caller's visibility."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.inbox import report
from revgraph.schema.common import ctx_of, query
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.report_types import DurationStats, ReportRange


@strawberry.type(
    description="What the inbox did with the conversations created in a range that the caller may see. Durations are wall-clock seconds from the metrics ledger; every figure is about the same conversations (their waits and resolutions count whenever they happened) and includes every change committed before the query."
)
class InboxReport:
    conversations: int = strawberry.field(description="Conversations created in the range.")
    resolved: int = strawberry.field(description="Of those, the ones RESOLVED now.")
    first_response: DurationStats = strawberry.field(
        description="Per conversation answered by a person: from its first inbound message to the first human reply (bots and automations do not count)."
    )
    wait_time: DurationStats = strawberry.field(
        description="TME, per wait: from the inbound message that started a wait to the human reply that ended it. Waits still open are not counted."
    )
    handle_time: DurationStats = strawberry.field(
        description="TMA, per resolved conversation with a human reply: from the first human reply to resolution (a reopened conversation counts its latest resolution)."
    )
    resolution: DurationStats = strawberry.field(
        description="Per resolved conversation: from its first inbound message to resolution (its latest, when reopened)."
    )
    sla_met: int = strawberry.field(
        description="Conversations whose SLA is MET: resolved with every target of the inbox's policy met."
    )
    sla_breached: int = strawberry.field(
        description="Conversations that missed an SLA target: state BREACHED, a breach recorded by the SLA timer, or snoozed with a target missed. Never also counted in slaMet."
    )
    csat_average: float | None = strawberry.field(
        description="Mean CSAT rating (1..5) of the conversations rated, rounded to two decimals; null when none was."
    )
    csat_responses: int = strawberry.field(
        description="Conversations whose contact answered the CSAT survey."
    )

    @classmethod
    def of(cls, row: report.InboxReport) -> InboxReport:
        return cls(
            conversations=row.conversations,
            resolved=row.resolved,
            first_response=DurationStats.of(row.first_response),
            wait_time=DurationStats.of(row.wait_time),
            handle_time=DurationStats.of(row.handle_time),
            resolution=DurationStats.of(row.resolution),
            sla_met=row.sla_met,
            sla_breached=row.sla_breached,
            csat_average=row.csat_average,
            csat_responses=row.csat_responses,
        )


@strawberry.type
class InboxReportQuery:
    @strawberry.field(
        description="The inbox report of the conversations created in `range` that the caller may see (ADMIN: all; MANAGER: their team subtree's and the unassigned ones of their queues; AGENT: their own and the unassigned ones of their queues). `inboxId`, `teamId` (conversations assigned to members of the team or any team below it) and `assigneeId` only narrow it further; an id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field`.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*report.READS),
    )
    async def inbox_report(
        self,
        info: Info,
        report_range: Annotated[
            ReportRange,
            strawberry.argument(name="range", description="Conversations created in [from, to)."),
        ],
        inbox_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this inbox's conversations.")
        ] = None,
        team_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only conversations assigned to members of this team or of any team below it."
            ),
        ] = None,
        assignee_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only conversations assigned to this user.")
        ] = None,
    ) -> InboxReport:
        found = await query(
            report.inbox_report(
                ctx_of(info),
                report_range.from_,
                report_range.to,
                inbox_id=inbox_id,
                team_id=team_id,
                assignee_id=assignee_id,
            )
        )
        return InboxReport.of(found)
