"""GraphQL surface of the conversational inbox (contract.d/inbox.graphql),
one module per area; this module merges their root fields."""

from __future__ import annotations

from strawberry.tools import merge_types

from revgraph.schema.inbox.canned_responses import CannedResponsesMutation, CannedResponsesQuery
from revgraph.schema.inbox.chatbot import ChatbotMutation, ChatbotQuery
from revgraph.schema.inbox.conversations import ConversationsMutation, ConversationsQuery
from revgraph.schema.inbox.live import InboxLiveQuery, InboxLiveSubscription
from revgraph.schema.inbox.report import InboxReportQuery
from revgraph.schema.inbox.setup import InboxSetupMutation, InboxSetupQuery

InboxQuery = merge_types(
    "InboxQuery",
    (
        InboxSetupQuery,
        CannedResponsesQuery,
        ConversationsQuery,
        InboxReportQuery,
        InboxLiveQuery,
        ChatbotQuery,
    ),
)
InboxMutation = merge_types(
    "InboxMutation", (InboxSetupMutation, CannedResponsesMutation, ConversationsMutation, ChatbotMutation)
)
InboxSubscription = merge_types("InboxSubscription", (InboxLiveSubscription,))
