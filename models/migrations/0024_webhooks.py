from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """Outgoing webhooks: endpoints and their delivery log (resolvers/webhooks)."""

    dependencies = [('models', '0023_log_position')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('event_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enabled', fields.BooleanField(default=True)),
                ('secret', fields.CharField(max_length=100)),
                ('previous_secret', fields.CharField(null=True, max_length=100)),
                ('previous_secret_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cursor', fields.BigIntField(default=0)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'models', 'pk_attr': 'id', 'table_description': "Where a workspace's events are POSTed. `cursor` is the id of the last"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('endpoint', fields.ForeignKeyField('models.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.BigIntField()),
                ('event_type', fields.CharField(max_length=64)),
                ('message_id', fields.CharField(max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharField(default='PENDING', max_length=9)),
                ('attempts', fields.IntField(default=0)),
                ('response_status', fields.IntField(null=True)),
                ('response_body', fields.TextField(null=True, unique=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('schedule_started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One event owed to one endpoint: UNIQUE (endpoint_id, event_id), so a'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uq_webhook_delivery_event ON webhook_delivery (endpoint_id, event_id)",
                "CREATE INDEX idx_webhook_delivery_log ON webhook_delivery (endpoint_id, id)",
                "CREATE INDEX idx_webhook_delivery_open ON webhook_delivery (endpoint_id, event_id) "
                "WHERE status IN ('PENDING', 'RETRYING')",
                "CREATE INDEX idx_webhook_endpoint_workspace ON webhook_endpoint (workspace_id)",
                # Each endpoint's cursor reads its workspace's log from an id.
                "CREATE INDEX idx_event_workspace_id ON event (workspace_id, id)",
            ],
            [
                "DROP INDEX uq_webhook_delivery_event",
                "DROP INDEX idx_webhook_delivery_log",
                "DROP INDEX idx_webhook_delivery_open",
                "DROP INDEX idx_webhook_endpoint_workspace",
                "DROP INDEX idx_event_workspace_id",
            ],
        ),
    ]
