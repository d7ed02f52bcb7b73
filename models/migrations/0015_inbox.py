from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """The conversational inbox: SLA policies, inboxes and their templates,
    conversations (one unresolved per inbox and contact), messages
    (idempotent by the provider's id per inbox and by the client's key per
    conversation), canned responses, the metrics ledger, and the inbox
    stream's columns on the event log."""

    dependencies = [('models', '0014_custom_fields')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CannedResponse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('short_code', fields.CharField(max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('search_text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'canned_response', 'app': 'models', 'unique_together': (('workspace', 'short_code'),), 'pk_attr': 'id', 'table_description': 'A saved reply, found by "/shortCode" or by words of its title and body.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SlaPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('first_response_minutes', fields.IntField(null=True)),
                ('next_response_minutes', fields.IntField(null=True)),
                ('resolution_minutes', fields.IntField(null=True)),
                ('business_hours_only', fields.BooleanField(default=False)),
                ('warn_before_minutes', fields.IntField(default=15)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sla_policy', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Response and resolution targets, in minutes (null: no target).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Inbox',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('channel', fields.CharField(max_length=16)),
                ('queue', fields.ForeignKeyField('models.Queue', source_field='queue_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('business_hours', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sla_policy', fields.ForeignKeyField('models.SlaPolicy', source_field='sla_policy_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('reply_window_hours', fields.IntField(null=True)),
                ('settings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'inbox', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One channel account (a WhatsApp number, a webchat, an e-mail address,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('number', fields.BigIntField()),
                ('inbox', fields.ForeignKeyField('models.Inbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name='conversations', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='conversations', on_delete=OnDelete.CASCADE)),
                ('deal', fields.ForeignKeyField('models.Deal', source_field='deal_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='OPEN', max_length=8)),
                ('priority', fields.CharField(default='MEDIUM', max_length=8)),
                ('priority_rank', fields.SmallIntField(default=1)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('routed_by_queue_id', fields.IntField(null=True)),
                ('snoozed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('waiting_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_inbound_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_inbound_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_reply_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sla_facts', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sla_state', fields.CharField(null=True, max_length=9)),
                ('sla_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_next_check_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_recorded', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('csat_rating', fields.IntField(null=True)),
                ('csat_comment', fields.TextField(null=True, unique=False)),
                ('csat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('csat_token_hash', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'conversation', 'app': 'models', 'pk_attr': 'id', 'table_description': "One contact's conversation in one inbox. At most one per (inbox,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConversationSegment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='segments', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('user_id', fields.IntField(null=True)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('seconds', fields.IntField()),
            ],
            options={'table': 'conversation_segment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The metrics ledger: one measured stretch of a conversation —'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConversationTag',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='tag_rows', on_delete=OnDelete.CASCADE)),
                ('tag', fields.CharField(max_length=64)),
            ],
            options={'table': 'conversation_tag', 'app': 'models', 'unique_together': (('conversation', 'tag'),), 'pk_attr': 'id', 'table_description': "A conversation's tag as a row, for filtering (the conversation's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('inbox', fields.ForeignKeyField('models.Inbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('direction', fields.CharField(null=True, max_length=8)),
                ('kind', fields.CharField(max_length=8)),
                ('body', fields.TextField(unique=False)),
                ('template_name', fields.CharField(null=True, max_length=200)),
                ('template_language', fields.CharField(null=True, max_length=16)),
                ('variables', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('author_label', fields.CharField(null=True, max_length=200)),
                ('status', fields.CharField(null=True, max_length=9)),
                ('external_id', fields.CharField(null=True, max_length=255)),
                ('client_message_id', fields.CharField(null=True, max_length=255)),
                ('error', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One message of a conversation. Inbound messages are unique per inbox'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('inbox', fields.ForeignKeyField('models.Inbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name='templates', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('language', fields.CharField(max_length=16)),
                ('body', fields.TextField(unique=False)),
                ('variable_count', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'message_template', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What may be sent outside the reply window, unique by (inbox, name, language).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Event',
            name='conversation_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Event',
            name='inbox_sequence',
            field=fields.BigIntField(null=True),
        ),
        ops.RunSQL(
            [
                "INSERT INTO sequence_counter (workspace_id, name, value) "
                "SELECT id, 'conversation', 0 FROM workspace",
                "INSERT INTO sequence_counter (workspace_id, name, value) "
                "SELECT id, 'inbox_event', 0 FROM workspace",
                "CREATE UNIQUE INDEX uniq_conversation_unresolved ON conversation (inbox_id, contact_id) "
                "WHERE status <> 'RESOLVED'",
                "CREATE UNIQUE INDEX uniq_conversation_number ON conversation (workspace_id, number)",
                "CREATE INDEX idx_conversation_ws_last ON conversation (workspace_id, last_message_at, id)",
                "CREATE INDEX idx_conversation_ws_created ON conversation (workspace_id, created_at)",
                "CREATE INDEX idx_conversation_assignee ON conversation (assignee_id, status)",
                "CREATE INDEX idx_conversation_contact ON conversation (contact_id)",
                "CREATE INDEX idx_conversation_sla_check ON conversation (sla_next_check_at) "
                "WHERE sla_next_check_at IS NOT NULL",
                "CREATE INDEX idx_conversation_snoozed ON conversation (snoozed_until) "
                "WHERE snoozed_until IS NOT NULL",
                "CREATE UNIQUE INDEX uniq_conversation_csat_token ON conversation (csat_token_hash) "
                "WHERE csat_token_hash IS NOT NULL",
                "CREATE INDEX idx_message_conversation ON message (conversation_id, at, id)",
                "CREATE UNIQUE INDEX uniq_message_external ON message (inbox_id, external_id) "
                "WHERE external_id IS NOT NULL",
                "CREATE UNIQUE INDEX uniq_message_client ON message (conversation_id, client_message_id) "
                "WHERE client_message_id IS NOT NULL",
                "CREATE UNIQUE INDEX uniq_message_template ON message_template (inbox_id, name, language)",
                "CREATE INDEX idx_conversation_tag ON conversation_tag (tag, conversation_id)",
                "CREATE INDEX idx_segment_conversation ON conversation_segment (conversation_id, kind)",
                "CREATE INDEX idx_event_conversation ON event (conversation_id, id) "
                "WHERE conversation_id IS NOT NULL",
                "CREATE INDEX idx_event_inbox_sequence ON event (workspace_id, inbox_sequence) "
                "WHERE inbox_sequence IS NOT NULL",
            ],
            reverse_sql=[
                "DELETE FROM sequence_counter WHERE name IN ('conversation', 'inbox_event')",
                "DROP INDEX uniq_conversation_unresolved",
                "DROP INDEX uniq_conversation_number",
                "DROP INDEX idx_conversation_ws_last",
                "DROP INDEX idx_conversation_ws_created",
                "DROP INDEX idx_conversation_assignee",
                "DROP INDEX idx_conversation_contact",
                "DROP INDEX idx_conversation_sla_check",
                "DROP INDEX idx_conversation_snoozed",
                "DROP INDEX uniq_conversation_csat_token",
                "DROP INDEX idx_message_conversation",
                "DROP INDEX uniq_message_external",
                "DROP INDEX uniq_message_client",
                "DROP INDEX uniq_message_template",
                "DROP INDEX idx_conversation_tag",
                "DROP INDEX idx_segment_conversation",
                "DROP INDEX idx_event_conversation",
                "DROP INDEX idx_event_inbox_sequence",
            ],
        ),
    ]
