"""The conversational inbox: inboxes (one per channel account), their SLA
policies and templates, conversations, messages, canned responses, and the
metrics ledger of waits and handles."""

from tortoise import fields
from tortoise.models import Model


class SlaPolicy(Model):
    """Response and resolution targets, in minutes (null: no target)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    first_response_minutes = fields.IntField(null=True)
    next_response_minutes = fields.IntField(null=True)
    resolution_minutes = fields.IntField(null=True)
    business_hours_only = fields.BooleanField(default=False)
    warn_before_minutes = fields.IntField(default=15)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sla_policy"


class Inbox(Model):
    """One channel account (a WhatsApp number, a webchat, an e-mail address,
    an API channel). `settings` holds the channel's credentials: written,
    never returned."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    channel = fields.CharField(max_length=16)
    queue = fields.ForeignKeyField("models.Queue", related_name=False, null=True, on_delete=fields.SET_NULL)
    # {"timezone", "days": [{"weekday", "opens", "closes"}], "holidays": [...]}
    business_hours = fields.JSONField(null=True)
    sla_policy = fields.ForeignKeyField(
        "models.SlaPolicy", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reply_window_hours = fields.IntField(null=True)
    settings = fields.JSONField(default=dict)
    # How the outside names this inbox: the WhatsApp phoneNumberId, the
    # e-mail address (lower case), the webchat's public key. Unique per
    # channel, so a webhook, a recipient or a widget finds its inbox in one
    # indexed read (settings stays write-only and unindexed).
    channel_address = fields.CharField(max_length=320, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "inbox"


class MessageTemplate(Model):
    """What may be sent outside the reply window, unique by (inbox, name, language)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    inbox = fields.ForeignKeyField("models.Inbox", related_name="templates", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    language = fields.CharField(max_length=16)
    body = fields.TextField()
    variable_count = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "message_template"


class Conversation(Model):
    """One contact's conversation in one inbox. At most one per (inbox,
    contact) is not RESOLVED (a partial unique index of the migration).
    The SLA columns are the clock's facts and its last computation, kept
    so lists filter and sort by them and the timer finds the next change."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    number = fields.BigIntField()
    inbox = fields.ForeignKeyField("models.Inbox", related_name="conversations", on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.Contact", related_name="conversations", on_delete=fields.CASCADE)
    deal = fields.ForeignKeyField("models.Deal", related_name=False, null=True, on_delete=fields.SET_NULL)
    status = fields.CharField(max_length=8, default="OPEN")
    priority = fields.CharField(max_length=8, default="MEDIUM")
    # LOW 0 .. URGENT 3: ordering by priority.
    priority_rank = fields.SmallIntField(default=1)
    assignee = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    # The queue that assigned it (capacity, redistribution), null when by hand.
    routed_by_queue_id = fields.IntField(null=True)
    snoozed_until = fields.DatetimeField(null=True)
    waiting_since = fields.DatetimeField(null=True)
    last_message_at = fields.DatetimeField(null=True)
    last_inbound_at = fields.DatetimeField(null=True)
    first_inbound_at = fields.DatetimeField(null=True)
    first_reply_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    tags = fields.JSONField(default=list)
    # [[iso instant, kind], ...]: the SLA clock's facts (resolvers/inbox/sla.py).
    sla_facts = fields.JSONField(default=list)
    sla_state = fields.CharField(max_length=9, null=True)
    # The earliest running deadline (ordering by SLA_DUE_AT).
    sla_due_at = fields.DatetimeField(null=True)
    # When the state changes next by itself (the SLA timer's index).
    sla_next_check_at = fields.DatetimeField(null=True)
    # Keys of the WARNING/BREACHED transitions already recorded as events.
    sla_recorded = fields.JSONField(default=list)
    csat_rating = fields.IntField(null=True)
    csat_comment = fields.TextField(null=True)
    csat_at = fields.DatetimeField(null=True)
    # sha256 of the survey link's token (the token is shown once).
    csat_token_hash = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "conversation"


class ConversationTag(Model):
    """A conversation's tag as a row, for filtering (the conversation's
    `tags` list is what reads show; both are written together)."""

    id = fields.BigIntField(primary_key=True)
    conversation = fields.ForeignKeyField(
        "models.Conversation", related_name="tag_rows", on_delete=fields.CASCADE
    )
    tag = fields.CharField(max_length=64)

    class Meta:
        table = "conversation_tag"
        unique_together = (("conversation", "tag"),)


class Message(Model):
    """One message of a conversation. Inbound messages are unique per inbox
    by the provider's id; an agent's are unique per conversation by the
    client's idempotency key (partial unique indexes of the migration)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    inbox = fields.ForeignKeyField("models.Inbox", related_name=False, on_delete=fields.CASCADE)
    conversation = fields.ForeignKeyField(
        "models.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    direction = fields.CharField(max_length=8, null=True)
    kind = fields.CharField(max_length=8)
    body = fields.TextField()
    template_name = fields.CharField(max_length=200, null=True)
    template_language = fields.CharField(max_length=16, null=True)
    variables = fields.JSONField(null=True)
    author = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    # Who wrote it when it was not a person: "automation:<rule>", "bot".
    author_label = fields.CharField(max_length=200, null=True)
    status = fields.CharField(max_length=9, null=True)
    external_id = fields.CharField(max_length=255, null=True)
    client_message_id = fields.CharField(max_length=255, null=True)
    # The provider's refusal of a FAILED send.
    error = fields.TextField(null=True)
    # While a send of this message is in flight: no other task sends it
    # (a retry chain and the outbound sweep never hit the provider at once).
    send_lease_until = fields.DatetimeField(null=True)
    # What the channel carried: "text", "image", "audio", "video",
    # "document", "sticker", "location", "contacts", "interactive",
    # "button", "email", "reaction", ... (a channel's own types).
    content_type = fields.CharField(max_length=16, default="text")
    # Files it carried: [{"kind", "mediaId", "name", "mimeType", "size", "sha256"}].
    attachments = fields.JSONField(null=True)
    # The channel's own facts that threading and audit need (e-mail headers
    # Message-ID / In-Reply-To / References, WhatsApp context and location,
    # the webchat visitor, the bot node that wrote it).
    channel_data = fields.JSONField(null=True)
    at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "message"


class CannedResponse(Model):
    """A saved reply, found by "/shortCode" or by words of its title and body."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    short_code = fields.CharField(max_length=64)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    # Lower-cased title and body, for word search on every backend.
    search_text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "canned_response"
        unique_together = (("workspace", "short_code"),)


class ConversationSegment(Model):
    """The metrics ledger: one measured stretch of a conversation —
    FIRST_RESPONSE, WAIT (an inbound that starts a wait to the human reply
    that ends it: TME), HANDLE (first human reply to resolution: TMA),
    RESOLUTION (first inbound to resolution) — in wall-clock seconds, with
    who handled it. A reopened conversation's next resolution replaces its
    HANDLE and RESOLUTION rows."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    conversation = fields.ForeignKeyField(
        "models.Conversation", related_name="segments", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    user_id = fields.IntField(null=True)
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField()
    seconds = fields.IntField()

    class Meta:
        table = "conversation_segment"


class EmailSource(Model):
    """The full source of an inbound e-mail (the RFC 5322 bytes as the SMTP
    listener received them, attachments included), kept beside its message:
    the message shows the new part of the reply, this keeps everything
    (quoted history, signatures, attachments' content). At most the
    listener's size limit (REVGRAPH_SMTP_MAX_MESSAGE_BYTES) per message; it
    goes when its message goes."""

    id = fields.BigIntField(primary_key=True)
    message = fields.OneToOneField("models.Message", related_name=False, on_delete=fields.CASCADE)
    source = fields.BinaryField()
    size = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "email_source"
