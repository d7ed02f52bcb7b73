"""What channel providers send us, kept before it is worked on."""

from tortoise import fields
from tortoise.models import Model


class InboundWebhook(Model):
    """A provider's webhook delivery for one inbox, stored (after its
    signature was verified) in the request that answered it, so nothing is
    lost if the process dies after answering 200. A task works it after
    commit and sets `processed_at`; a sweep re-sends those left behind."""

    id = fields.BigIntField(primary_key=True)
    inbox = fields.ForeignKeyField("models.Inbox", related_name=False, on_delete=fields.CASCADE)
    # The provider's payload for this inbox (WhatsApp: its changes[].value objects).
    payload = fields.JSONField()
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    # Why the last attempt could not finish (an unknown message id, ...).
    error = fields.TextField(null=True)

    class Meta:
        table = "inbound_webhook"
