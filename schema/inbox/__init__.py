"""GraphQL surface of the conversational inbox, one module per area
(setup, conversations, live, report); their Query/Mutation/Subscription
mixins merge here and schema/__init__.py includes them."""

from __future__ import annotations

from strawberry.tools import merge_types

from revgraph.schema.inbox.report import InboxReportQuery

InboxQuery = merge_types("InboxQuery", (InboxReportQuery,))
