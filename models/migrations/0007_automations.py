from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    dependencies = [('models', '0006_distribution')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AutomationRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('enabled', fields.BooleanField(default=True)),
                ('trigger_kind', fields.CharField(max_length=64)),
                ('trigger', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('contact_conditions', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('deal_conditions', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('from_stage_id', fields.IntField(null=True)),
                ('to_stage_id', fields.IntField(null=True)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'automation_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': "A workspace's rule. The trigger, conditions and actions are stored as"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AutomationRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('rule', fields.ForeignKeyField('models.AutomationRule', source_field='rule_id', db_constraint=True, to_field='id', related_name='runs', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.BigIntField()),
                ('event_kind', fields.CharField(max_length=64)),
                ('contact_id', fields.IntField(null=True)),
                ('deal_id', fields.IntField(null=True)),
                ('status', fields.CharField(max_length=10)),
                ('depth', fields.IntField(default=1)),
                ('next_step', fields.IntField(default=0)),
                ('waited_step', fields.IntField(null=True)),
                ('wake_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('reason', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'automation_run', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One rule applied to one event. UNIQUE (rule_id, event_id), created in'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('message', fields.TextField(unique=False)),
                ('contact_id', fields.IntField(null=True)),
                ('deal_id', fields.IntField(null=True)),
                ('rule_id', fields.IntField(null=True)),
                ('run_id', fields.BigIntField(null=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification', 'app': 'models', 'pk_attr': 'id', 'table_description': "A message to one user (from an automation's notify action)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OverdueTaskMark',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task_id', fields.IntField(unique=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'overdue_task_mark', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A task whose `task.overdue` event was recorded: UNIQUE task_id, so'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uniq_automation_run_rule_event ON automation_run (rule_id, event_id)",
                "CREATE INDEX idx_automation_run_ws ON automation_run (workspace_id, id)",
                "CREATE INDEX idx_automation_run_ws_status ON automation_run (workspace_id, status, id)",
                "CREATE INDEX idx_automation_run_waiting ON automation_run (wake_at) WHERE status = 'WAITING'",
                "CREATE INDEX idx_automation_rule_trigger ON automation_rule (workspace_id, trigger_kind) WHERE enabled AND deleted_at IS NULL",
                "CREATE INDEX idx_automation_rule_ws ON automation_rule (workspace_id, id)",
                "CREATE INDEX idx_notification_user ON notification (user_id, id)",
                "CREATE INDEX idx_notification_unread ON notification (user_id, id) WHERE read_at IS NULL",
            ],
            reverse_sql=[
                "DROP INDEX uniq_automation_run_rule_event", "DROP INDEX idx_automation_run_ws",
                "DROP INDEX idx_automation_run_ws_status", "DROP INDEX idx_automation_run_waiting",
                "DROP INDEX idx_automation_rule_trigger", "DROP INDEX idx_automation_rule_ws",
                "DROP INDEX idx_notification_user", "DROP INDEX idx_notification_unread",
            ],
        ),
    ]
