"""GraphQL surface of the reports dashboards poll (contract.d/reports.graphql),
one module per report; this module merges their root fields."""

from __future__ import annotations

from strawberry.tools import merge_types

from revgraph.schema.reports.appointments import AppointmentReportQuery
from revgraph.schema.reports.deals import DealReportQuery
from revgraph.schema.reports.funnel import FunnelQuery
from revgraph.schema.reports.leads import LeadReportQuery
from revgraph.schema.reports.people import PeopleReportsQuery
from revgraph.schema.reports.snapshot import PipelineSnapshotQuery

ReportsQuery = merge_types(
    "ReportsQuery",
    (
        FunnelQuery,
        LeadReportQuery,
        DealReportQuery,
        PipelineSnapshotQuery,
        AppointmentReportQuery,
        PeopleReportsQuery,
    ),
)
