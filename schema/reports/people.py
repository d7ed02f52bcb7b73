"""GraphQL surface of the reports about people: distribution per roleta
and member (`distributionReport`) and activities per user
(`activityReport`); every figure is defined in
resolvers/reports/distribution.py and resolvers/reports/activity.py."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.reports import activity, distribution
from revgraph.schema.common import ctx_of, query
from revgraph.schema.identity import User
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.queues import Queue
from revgraph.schema.report_types import DurationStats, ReportRange


@strawberry.type(
    description="One roleta member's row of distributionReport: the leads assigned to them through the queue in the range."
)
class DistributionRow:
    queue: Queue = strawberry.field(
        description="The queue (hand assignments outside any roleta: the workspace's MANUAL queue)."
    )
    member: User = strawberry.field(description="The user the leads were assigned to.")
    assigned: int = strawberry.field(
        description="Assignments made to them in the range (assigned, not merely queued)."
    )
    worked: int = strawberry.field(
        description="Of those, the ones whose lead they have worked since (first contact recorded: a note, a task done, a reply, a move), up to the query."
    )
    first_contact: DurationStats = strawberry.field(
        description="Time to first contact of the worked ones: from assignment to the first contact, in whole seconds."
    )

    @classmethod
    def of(cls, row: distribution.DistributionRow) -> DistributionRow:
        return cls(
            queue=Queue.of(row.queue),
            member=User.of(row.member),
            assigned=row.assigned,
            worked=row.worked,
            first_contact=DurationStats.of(row.first_contact),
        )


@strawberry.type(
    description="One user's row of activityReport: what they did in the range, whatever record it was about."
)
class ActivityRow:
    user: User = strawberry.field(description="The user.")
    notes: int = strawberry.field(description="Notes they added (note.added in the log).")
    tasks_completed: int = strawberry.field(description="Tasks they completed (task.completed in the log).")
    deal_moves: int = strawberry.field(
        description="Stage moves of deals they made (a deal's creation is not a move; automations' moves are nobody's)."
    )
    messages_sent: int = strawberry.field(
        description="Inbox messages they sent: OUTBOUND, TEXT or TEMPLATE (internal notes are not messages)."
    )

    @classmethod
    def of(cls, row: activity.ActivityRow) -> ActivityRow:
        return cls(
            user=User.of(row.user),
            notes=row.notes,
            tasks_completed=row.tasks_completed,
            deal_moves=row.deal_moves,
            messages_sent=row.messages_sent,
        )


@strawberry.type
class PeopleReportsQuery:
    @strawberry.field(
        description="Distribution per roleta and member: the assignments made in `range` to users the caller may see (ADMIN: anyone; MANAGER: their team subtree's members; AGENT: themselves), per queue and member, with how many were worked and the time to first contact. Rows with assignments only, by queue name, then most assigned first, then member name. `queueId` only narrows it. An id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field`; a bad range is INVALID.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*distribution.READS),
    )
    async def distribution_report(
        self,
        info: Info,
        report_range: Annotated[
            ReportRange, strawberry.argument(name="range", description="Assignments made in [from, to).")
        ],
        queue_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only assignments through this queue.")
        ] = None,
    ) -> list[DistributionRow]:
        rows = await query(
            distribution.distribution_report(
                ctx_of(info), report_range.from_, report_range.to, queue_id=queue_id
            )
        )
        return [DistributionRow.of(r) for r in rows]

    @strawberry.field(
        description="Activities per user in `range`: notes added, tasks completed, deal moves and inbox messages sent, per user the caller may see (ADMIN: the workspace's; MANAGER: their team subtree's members; AGENT: themselves), whatever record each was about. A row per such user who is active now or did something in the range, ordered by name. `teamId` only narrows it. An id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field`; a bad range is INVALID.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*activity.READS),
    )
    async def activity_report(
        self,
        info: Info,
        report_range: Annotated[
            ReportRange, strawberry.argument(name="range", description="What was done in [from, to).")
        ],
        team_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only members of this team or of any team below it."),
        ] = None,
    ) -> list[ActivityRow]:
        rows = await query(
            activity.activity_report(ctx_of(info), report_range.from_, report_range.to, team_id=team_id)
        )
        return [ActivityRow.of(r) for r in rows]
