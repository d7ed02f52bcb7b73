from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
import functools
from json import dumps, loads


class Migration(_base.Migration):
    """Partners: API key scopes, the RD Station Marketing intake and the
    partner hand-off rules (models/partners.py)."""

    dependencies = [('models', '0025_imports')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ApiKey',
            name='scope',
            field=fields.CharField(default='FULL', max_length=16),
        ),
        ops.CreateModel(
            name='MarketingIntake',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=32)),
                ('secret_hash', fields.CharField(max_length=64)),
                ('enabled', fields.BooleanField(default=True)),
                ('queue_id', fields.IntField(null=True)),
                ('pipeline_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'marketing_intake', 'app': 'models', 'pk_attr': 'id', 'table_description': "A workspace's intake of a marketing tool's webhooks (`provider`:"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerHandoffRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('stage', fields.ForeignKeyField('models.Stage', source_field='stage_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('endpoint', fields.ForeignKeyField('models.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_handoff_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'When a deal enters `stage`, it is handed off to the partner `name`'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MarketingConversion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=32)),
                ('dedupe_key', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'marketing_conversion', 'app': 'models', 'pk_attr': 'id', 'table_description': "One lead's conversion as a marketing tool sent it, stored (after the"},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uq_marketing_conversion_key ON marketing_conversion (workspace_id, provider, dedupe_key)",
                "CREATE INDEX ix_marketing_conversion_open ON marketing_conversion (received_at) WHERE processed_at IS NULL",
                "CREATE UNIQUE INDEX uq_marketing_intake_provider ON marketing_intake (workspace_id, provider)",
                "CREATE INDEX ix_partner_handoff_rule_stage ON partner_handoff_rule (stage_id, active)",
            ]
        ),
    ]
