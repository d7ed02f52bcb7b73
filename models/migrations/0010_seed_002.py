from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """Seed 002's operation: readable contact and deal numbers (existing
    rows numbered in order of creation per workspace, the counters set
    after them), workspace settings, queues run by a team's managers with
    unattended-lead redistribution, one MANUAL queue per workspace for hand
    assignments, the queue's timeline, and one-time password reset links."""

    dependencies = [('models', '0009_drop_login_failure')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PasswordReset',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_resets', on_delete=OnDelete.CASCADE)),
                ('issued_by', fields.ForeignKeyField('models.User', source_field='issued_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'password_reset', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time password reset link an admin issued. Only the keyed hash'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SequenceCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=32)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'sequence_counter', 'app': 'models', 'unique_together': (('workspace', 'name'),), 'pk_attr': 'id', 'table_description': 'A per-workspace counter (`contact`, `deal`): the readable numbers of'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contact',
            name='number',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Deal',
            name='number',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Event',
            name='queue_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Queue',
            name='kind',
            field=fields.CharField(default='ROUTING', max_length=8),
        ),
        ops.AddField(
            model_name='Queue',
            name='redistribute_after_minutes',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Queue',
            name='team',
            field=fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='queues', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Workspace',
            name='default_locale',
            field=fields.CharField(default='pt-BR', max_length=16),
        ),
        ops.AddField(
            model_name='Workspace',
            name='email_sender_address',
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name='Workspace',
            name='email_sender_name',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.RunSQL(
            [
                "UPDATE contact SET number = numbered.n FROM (SELECT id, ROW_NUMBER() OVER "
                "(PARTITION BY workspace_id ORDER BY id) AS n FROM contact) AS numbered "
                "WHERE numbered.id = contact.id",
                "UPDATE deal SET number = numbered.n FROM (SELECT id, ROW_NUMBER() OVER "
                "(PARTITION BY workspace_id ORDER BY id) AS n FROM deal) AS numbered "
                "WHERE numbered.id = deal.id",
                "INSERT INTO sequence_counter (workspace_id, name, value) "
                "SELECT workspace_id, 'contact', MAX(number) FROM contact GROUP BY workspace_id",
                "INSERT INTO sequence_counter (workspace_id, name, value) "
                "SELECT workspace_id, 'deal', MAX(number) FROM deal GROUP BY workspace_id",
                "INSERT INTO queue (workspace_id, name, mode, strategy, assignments_made, kind, created_at) "
                "SELECT id, 'Atribuição manual', 'OFFLINE', 'ROUND_ROBIN', 0, 'MANUAL', CURRENT_TIMESTAMP "
                "FROM workspace",
                "CREATE UNIQUE INDEX uniq_contact_number ON contact (workspace_id, number)",
                "CREATE UNIQUE INDEX uniq_deal_number ON deal (workspace_id, number)",
                "CREATE UNIQUE INDEX uniq_queue_manual ON queue (workspace_id) WHERE kind = 'MANUAL'",
                "CREATE INDEX idx_event_queue ON event (queue_id, id) WHERE queue_id IS NOT NULL",
            ],
            reverse_sql=[
                "DROP INDEX uniq_contact_number",
                "DROP INDEX uniq_deal_number",
                "DROP INDEX uniq_queue_manual",
                "DROP INDEX idx_event_queue",
                "DELETE FROM sequence_counter",
                "DELETE FROM queue WHERE kind = 'MANUAL'",
            ],
        ),
    ]
