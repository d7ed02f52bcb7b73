from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """The WhatsApp channel and the consent ledger: every opt-in/opt-out of
    a contact per channel (its latest row is the contact's consent, read by
    index), the inbound webhook deliveries kept until worked (the unworked
    ones found by a partial index), and the lease a message's send holds
    while it is in flight."""

    dependencies = [('models', '0018_channel_columns')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='send_lease_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.CreateModel(
            name='ConsentRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=16)),
                ('granted', fields.BooleanField()),
                ('source', fields.CharField(max_length=32)),
                ('note', fields.CharField(null=True, max_length=500)),
                ('message_id', fields.BigIntField(null=True)),
                ('actor_user', fields.ForeignKeyField('models.User', source_field='actor_user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('actor_label', fields.CharField(null=True, max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_record', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One opt-in (granted) or opt-out of a contact for a channel, with'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboundWebhook',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('inbox', fields.ForeignKeyField('models.Inbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'inbound_webhook', 'app': 'models', 'pk_attr': 'id', 'table_description': "A provider's webhook delivery for one inbox, stored (after its"},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE INDEX idx_consent_contact_channel ON consent_record (contact_id, channel, id)",
                "CREATE INDEX idx_inbound_webhook_pending ON inbound_webhook (received_at)"
                " WHERE processed_at IS NULL",
            ],
            reverse_sql=["DROP INDEX idx_consent_contact_channel", "DROP INDEX idx_inbound_webhook_pending"],
        ),
    ]
