"""The consent ledger (LGPD): every opt-in and opt-out of a contact on a
channel, append-only. A contact's consent on a channel is its latest row."""

from tortoise import fields
from tortoise.models import Model


class ConsentRecord(Model):
    """One opt-in (granted) or opt-out of a contact for a channel, with
    where it came from (`source`: "inbound_message", "keyword", "user",
    ...), who recorded it and when. Rows are never changed or deleted
    (but go with their contact when it is purged)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.Contact", related_name=False, on_delete=fields.CASCADE)
    # A ChannelKind: WHATSAPP, SMS, EMAIL, ...
    channel = fields.CharField(max_length=16)
    granted = fields.BooleanField()
    source = fields.CharField(max_length=32)
    # What the source said: the keyword typed, the person's note ("pediu por telefone").
    note = fields.CharField(max_length=500, null=True)
    # The inbound message that carried it (a keyword, the first message).
    message_id = fields.BigIntField(null=True)
    actor_user = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=200, null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "consent_record"
