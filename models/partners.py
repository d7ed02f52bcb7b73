"""Partners: marketing tools that send leads in (RD Station Marketing) and
sales systems deals are handed off to (VIMOB and the like)."""

from tortoise import fields
from tortoise.models import Model


class MarketingIntake(Model):
    """A workspace's intake of a marketing tool's webhooks (`provider`:
    "rdstation"): the shared secret's keyed hash, and where its leads go.
    One row per workspace and provider (unique index in the migration)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    provider = fields.CharField(max_length=32)
    secret_hash = fields.CharField(max_length=64)
    enabled = fields.BooleanField(default=True)
    queue_id = fields.IntField(null=True)
    pipeline_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "marketing_intake"


class PartnerHandoffRule(Model):
    """When a deal enters `stage`, it is handed off to the partner `name`
    through the outgoing webhook `endpoint` (a `deal.handed_off` event
    delivered to that endpoint only)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    stage = fields.ForeignKeyField("models.Stage", related_name=False, on_delete=fields.CASCADE)
    endpoint = fields.ForeignKeyField("models.WebhookEndpoint", related_name=False, on_delete=fields.CASCADE)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_handoff_rule"


class MarketingConversion(Model):
    """One lead's conversion as a marketing tool sent it, stored (after the
    shared secret was checked) in the request that answered it, and worked
    into captureLead after commit by a task. `dedupe_key` is the hash of
    (lead, conversion, time): unique per workspace and provider, so a
    webhook sent again stores and captures nothing more."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    provider = fields.CharField(max_length=32)
    dedupe_key = fields.CharField(max_length=64)
    payload = fields.JSONField()
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    # Why it captured nothing (a lead with neither e-mail nor phone, ...).
    error = fields.TextField(null=True)

    class Meta:
        table = "marketing_conversion"
