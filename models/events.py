"""The spine: one append-only log of every change (STYLE.md)."""

from tortoise import fields
from tortoise.models import Model


class Event(Model):
    """An immutable fact. The id grows monotonically and is the sequence that
    timelines, board subscriptions and automations resume from. Subject ids
    are plain columns, not foreign keys: the log outlives purged records."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=64)
    actor_user = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # Who acted when it was not a person: "system", "automation:<rule>", ...
    actor_label = fields.CharField(max_length=200, null=True)
    summary = fields.TextField()
    data = fields.JSONField(default=dict)
    contact_id = fields.IntField(null=True)
    company_id = fields.IntField(null=True)
    deal_id = fields.IntField(null=True)
    pipeline_id = fields.IntField(null=True)
    # The queue an event is about (its configuration changes, for the
    # queue's timeline).
    queue_id = fields.IntField(null=True)
    # The development an event is about (its configuration changes, for
    # the development's timeline).
    development_id = fields.IntField(null=True)
    # The conversation an event is about (the inbox stream, its timeline).
    conversation_id = fields.IntField(null=True)
    # Position in the pipeline's board stream (gap-free per pipeline).
    board_sequence = fields.BigIntField(null=True)
    # Position in the workspace's inbox stream (gap-free per workspace).
    inbox_sequence = fields.BigIntField(null=True)
    at = fields.DatetimeField(auto_now_add=True)
    # Outbox flag: set once the event was published and handed to the task
    # broker; events left undispatched by a crash are dispatched at start.
    dispatched = fields.BooleanField(default=False)

    class Meta:
        table = "event"


class IdempotencyKey(Model):
    """Stripe semantics: same key + same input → the first result again."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    key = fields.CharField(max_length=255)
    operation = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    result = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_key"
