from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """The flow chatbot: an inbox's flow versions (at most one active per
    inbox, a partial unique index) and the bot's state per conversation."""
    dependencies = [('models', '0021_webchat')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BotFlow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('inbox', fields.ForeignKeyField('models.Inbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('definition', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'bot_flow', 'app': 'models', 'unique_together': (('inbox', 'version'),), 'pk_attr': 'id', 'table_description': "One version of an inbox's flow. Setting a flow adds the next version"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BotSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('conversation', fields.OneToOneField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='bot_session', on_delete=OnDelete.CASCADE)),
                ('flow', fields.ForeignKeyField('models.BotFlow', source_field='flow_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='WAITING', max_length=10)),
                ('node_id', fields.CharField(null=True, max_length=64)),
                ('retries', fields.SmallIntField(default=0)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('last_message_id', fields.BigIntField(default=0)),
                ('handoff_reason', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'bot_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The bot in one conversation: the flow version it runs, the node it is'},
            bases=['Model'],
        ),
        ops.RunSQL(
            ["CREATE UNIQUE INDEX uid_bot_flow_active ON bot_flow (inbox_id) WHERE active"],
            reverse_sql=["DROP INDEX uid_bot_flow_active"],
        ),
    ]
