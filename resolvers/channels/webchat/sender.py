"""The WEBCHAT channel's sender (resolvers/inbox/senders.py): a reply
reaches the visitor as its MESSAGE_CREATED event is published on the bus
(resolvers/channels/webchat/live.py), and the sender runs after that
publication, so the message is SENT once it runs; the widget's
acknowledgements move it to DELIVERED and READ
(resolvers/channels/webchat/visitors.acknowledge). A visitor who is away
reads it from their history when they come back."""

from __future__ import annotations

from revgraph.models.inbox import Conversation, Inbox, Message
from revgraph.resolvers.inbox.senders import SendResult
from revgraph.resolvers.settings import Settings


class WebchatSender:
    async def send(
        self, settings: Settings, inbox: Inbox, conversation: Conversation, message: Message
    ) -> SendResult:
        return SendResult()
