"""Outgoing webhooks (Standard Webhooks): a workspace's endpoints and the
delivery log, one row per (endpoint, event) it is owed."""

from tortoise import fields
from tortoise.models import Model


class WebhookEndpoint(Model):
    """Where a workspace's events are POSTed. `cursor` is the id of the last
    log event taken into its deliveries: the endpoint reads the log from
    there, in id order (resolvers/webhooks/delivery.py). `lease_until` is
    the one in-flight delivery of the endpoint across processes."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    url = fields.CharField(max_length=2000)
    event_types = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    # The "whsec_..." secret, and the previous one while it still signs.
    secret = fields.CharField(max_length=100)
    previous_secret = fields.CharField(max_length=100, null=True)
    previous_secret_until = fields.DatetimeField(null=True)
    cursor = fields.BigIntField(default=0)
    lease_until = fields.DatetimeField(null=True)
    # Since when every attempt failed (none succeeded since); null: healthy.
    failing_since = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_endpoint"


class WebhookDelivery(Model):
    """One event owed to one endpoint: UNIQUE (endpoint_id, event_id), so a
    cursor read twice owes nothing twice. `body` is fixed when the delivery
    is created: every attempt (and a redelivery) sends the same bytes under
    the same `message_id` (webhook-id)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    endpoint = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id = fields.BigIntField()
    event_type = fields.CharField(max_length=64)
    message_id = fields.CharField(max_length=64)
    body = fields.TextField()
    # PENDING, RETRYING, SUCCEEDED, FAILED
    status = fields.CharField(max_length=9, default="PENDING")
    attempts = fields.IntField(default=0)
    response_status = fields.IntField(null=True)
    response_body = fields.TextField(null=True)
    last_error = fields.TextField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    # When the current schedule began (first attempt, or the redelivery):
    # retries stop past it plus the retry window.
    schedule_started_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_delivery"
