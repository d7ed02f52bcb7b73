from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    dependencies = [('models', '0005_board_sequence')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Queue',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='queues', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('mode', fields.CharField(max_length=8)),
                ('strategy', fields.CharField(max_length=16)),
                ('pointer_member_id', fields.IntField(null=True)),
                ('assignments_made', fields.BigIntField(default=0)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'queue', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A roleta. Its row is the lock every distribution through it takes,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Assignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('queue', fields.ForeignKeyField('models.Queue', source_field='queue_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.SET_NULL)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('deal', fields.ForeignKeyField('models.Deal', source_field='deal_id', null=True, db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=8)),
                ('reason', fields.TextField(unique=False)),
                ('previous_owner_id', fields.IntField(null=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('assigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('worked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'assignment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One distribution decision, with the reason in words. QUEUED waits for'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Form',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='forms', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('field_mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('source', fields.CharField(default='form', max_length=64)),
                ('media', fields.CharField(null=True, max_length=64)),
                ('campaign', fields.CharField(null=True, max_length=200)),
                ('queue', fields.ForeignKeyField('models.Queue', source_field='queue_id', null=True, db_constraint=True, to_field='id', related_name='forms', on_delete=OnDelete.SET_NULL)),
                ('pipeline', fields.ForeignKeyField('models.Pipeline', source_field='pipeline_id', null=True, db_constraint=True, to_field='id', related_name='forms', on_delete=OnDelete.SET_NULL)),
                ('thank_you_url', fields.CharField(null=True, max_length=2000)),
                ('honeypot_field', fields.CharField(default='website', max_length=64)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'form', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A public capture endpoint, POST /f/{key}.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QueueMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('queue', fields.ForeignKeyField('models.Queue', source_field='queue_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='queue_memberships', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('weight', fields.IntField(default=1)),
                ('capacity', fields.IntField(null=True)),
                ('active', fields.BooleanField(default=True)),
                ('current_weight', fields.BigIntField(default=0)),
                ('last_assigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'queue_member', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Touchpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='touchpoints', on_delete=OnDelete.CASCADE)),
                ('form', fields.ForeignKeyField('models.Form', source_field='form_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('source', fields.CharField(max_length=64)),
                ('media', fields.CharField(null=True, max_length=64)),
                ('campaign', fields.CharField(null=True, max_length=200)),
                ('utm', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('landing_page', fields.CharField(null=True, max_length=2000)),
                ('message', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'touchpoint', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One arrival of a lead: its origin, kept for attribution.'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE INDEX idx_queue_ws ON queue (workspace_id)",
                "CREATE UNIQUE INDEX uniq_queue_member_live ON queue_member (queue_id, user_id) WHERE removed_at IS NULL",
                "CREATE INDEX idx_assignment_ws_queue ON assignment (workspace_id, queue_id, id)",
                "CREATE INDEX idx_assignment_backlog ON assignment (queue_id, id) WHERE status = 'QUEUED'",
                "CREATE INDEX idx_assignment_open ON assignment (user_id, contact_id) WHERE released_at IS NULL",
                "CREATE INDEX idx_assignment_contact ON assignment (contact_id, id)",
                "CREATE INDEX idx_touchpoint_contact ON touchpoint (contact_id, id)",
            ],
            reverse_sql=[
                "DROP INDEX idx_queue_ws", "DROP INDEX uniq_queue_member_live", "DROP INDEX idx_assignment_ws_queue",
                "DROP INDEX idx_assignment_backlog", "DROP INDEX idx_assignment_open", "DROP INDEX idx_assignment_contact",
                "DROP INDEX idx_touchpoint_contact",
            ],
        ),
    ]
