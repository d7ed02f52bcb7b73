"""GraphQL surface of the lead report (reports.graphql `leadReport`);
the dimensions and the contacts counted are defined in
resolvers/reports/leads.py."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from revgraph.resolvers.reports import leads as report
from revgraph.schema.common import ctx_of, input_dict, query
from revgraph.schema.contacts import ContactFilter
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.poll import report as report_field
from revgraph.schema.report_types import Bucket, ReportRange


@strawberry.enum(
    description='What leadReport groups the contacts by. A contact without the value is in the bucket with key "" labelled "—".'
)
class LeadDimension(Enum):
    SOURCE = strawberry.enum_value("SOURCE", description="The contact's source (channel of origin).")
    MEDIA = strawberry.enum_value("MEDIA", description="The media of the contact's first touchpoint.")
    CAMPAIGN = strawberry.enum_value(
        "CAMPAIGN", description="The campaign of the contact's first touchpoint."
    )
    OWNER = strawberry.enum_value(
        "OWNER", description="The contact's owner now: key the User id, label their name."
    )
    TEAM = strawberry.enum_value(
        "TEAM", description="The team of the contact's owner now: key the Team id, label its name."
    )
    QUEUE = strawberry.enum_value(
        "QUEUE",
        description="The roleta of the contact's first assignment (assigned or queued): key the Queue id, label its name.",
    )
    LIFECYCLE_STAGE = strawberry.enum_value(
        "LIFECYCLE_STAGE", description="The contact's lifecycle stage now: key LEAD, MQL..., label in pt-BR."
    )
    DAY = strawberry.enum_value(
        "DAY", description='Creation day in the workspace\'s timezone: key "2026-12-05", label "05/12/2026".'
    )
    WEEK = strawberry.enum_value(
        "WEEK",
        description='ISO week (Monday to Sunday) of creation in the workspace\'s timezone: key "2026-W49", label "Semana 49 de 2026".',
    )
    MONTH = strawberry.enum_value(
        "MONTH",
        description='Creation month in the workspace\'s timezone: key "2026-12", label "dezembro de 2026".',
    )


@strawberry.type
class LeadReportQuery:
    @strawberry.field(
        description="Contacts created in `range` that the caller may see and `filter` selects (the same contacts `contacts(filter:)` lists with createdAt in the range: trashed ones only with `deleted: true`), counted by `by`. DAY/WEEK/MONTH: one bucket per period the range touches, in calendar order, empty ones included. Other dimensions: buckets with contacts only, largest count first, then by label. `value` is null. A bad range or filter is a top-level INVALID error naming the argument in `extensions.field`.",
        permission_classes=AUTHENTICATED,
        metadata=report_field(*report.READS, by_deal_owner=True),
    )
    async def lead_report(
        self,
        info: Info,
        by: Annotated[LeadDimension, strawberry.argument(description="What to group the contacts by.")],
        report_range: Annotated[
            ReportRange, strawberry.argument(name="range", description="Contacts created in [from, to).")
        ],
        filter: Annotated[
            ContactFilter | None,
            strawberry.argument(
                description="Only the contacts this filter selects (the contacts list's language)."
            ),
        ] = None,
    ) -> list[Bucket]:
        buckets = await query(
            report.lead_report(
                ctx_of(info),
                by.value,
                report_range.from_,
                report_range.to,
                filter=input_dict(filter) if filter is not None else None,
            )
        )
        return [Bucket.of(b) for b in buckets]
