"""The WhatsApp Cloud API channel: an inbox's credentials, the webhooks
(verified, stored, then worked by a task), the message types read into
the inbox's terms, and the sender registered for WHATSAPP inboxes."""

from revgraph.resolvers.channels.whatsapp.sender import WhatsAppSender
from revgraph.resolvers.inbox.senders import register_sender

register_sender("WHATSAPP", WhatsAppSender())
