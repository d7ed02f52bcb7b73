"""GraphQL surface of the appointments report (`appointmentReport`);
what counts is defined in resolvers/reports/appointments.py."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.reports import appointments as report
from revgraph.schema.common import ctx_of, query
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.report_types import Bucket, ReportRange


@strawberry.enum(description="What appointmentReport groups the scheduled tasks by.")
class AppointmentDimension(Enum):
    OWNER = strawberry.enum_value(
        "OWNER",
        description='The task\'s assignee: key the User id, label their name; unassigned tasks under key "" labelled "—".',
    )
    DAY = strawberry.enum_value(
        "DAY", description='Due day in the workspace\'s timezone: key "2026-12-05", label "05/12/2026".'
    )
    WEEK = strawberry.enum_value(
        "WEEK",
        description='ISO week (Monday to Sunday) of the due time in the workspace\'s timezone: key "2026-W49", label "Semana 49 de 2026".',
    )
    MONTH = strawberry.enum_value(
        "MONTH",
        description='Due month in the workspace\'s timezone: key "2026-12", label "dezembro de 2026".',
    )


@strawberry.type
class AppointmentReportQuery:
    @strawberry.field(
        description="Appointments (agendamentos: visits, calls, meetings) scheduled for `range`: the tasks due in it, done or not, that the caller may see (assigned in their scope, or about a contact or deal they see), counted by `by`. A task with a due date is what a stage that requires a scheduled task asks for; tasks carry no kind. `teamId` (assigned to members of the team or of any team below it) and `ownerId` (assigned to this user) only narrow it. DAY/WEEK/MONTH: one bucket per period the range touches, in calendar order, empty ones included; OWNER: buckets with tasks only, largest count first, then by name. `value` is null. An id that names nothing the caller sees is a top-level NOT_FOUND error naming the argument in `extensions.field`; a bad range is INVALID.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*report.READS),
    )
    async def appointment_report(
        self,
        info: Info,
        report_range: Annotated[
            ReportRange, strawberry.argument(name="range", description="Tasks due in [from, to).")
        ],
        by: Annotated[AppointmentDimension, strawberry.argument(description="What to group the tasks by.")],
        team_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only tasks assigned to members of this team or of any team below it."
            ),
        ] = None,
        owner_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only tasks assigned to this user.")
        ] = None,
    ) -> list[Bucket]:
        buckets = await query(
            report.appointment_report(
                ctx_of(info),
                by.value,
                report_range.from_,
                report_range.to,
                team_id=team_id,
                owner_id=owner_id,
            )
        )
        return [Bucket.of(b) for b in buckets]
