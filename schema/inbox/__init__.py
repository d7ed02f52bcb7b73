"""GraphQL surface of the conversational inbox (contract.d/inbox.graphql),
one module per area; this module merges their root fields."""

from __future__ import annotations

from strawberry.tools import merge_types

from revgraph.schema.inbox.conversations import ConversationsMutation, ConversationsQuery
from revgraph.schema.inbox.live import InboxLiveQuery, InboxLiveSubscription

InboxQuery = merge_types("InboxQuery", (ConversationsQuery, InboxLiveQuery))
InboxMutation = merge_types("InboxMutation", (ConversationsMutation,))
InboxSubscription = merge_types("InboxSubscription", (InboxLiveSubscription,))
