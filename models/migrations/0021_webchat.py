from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
import secrets


async def give_webchat_keys(apps, editor):
    """WEBCHAT inboxes made before the widget existed get their public key."""
    rows = await editor.client.execute_query_dict(
        "SELECT id FROM inbox WHERE channel = 'WEBCHAT' AND channel_address IS NULL"
    )
    for row in rows:
        # token_urlsafe is [A-Za-z0-9_-]: safe inside the quotes.
        key = secrets.token_urlsafe(24)
        await editor.client.execute_script(
            f"UPDATE inbox SET channel_address = '{key}' WHERE id = {int(row['id'])}"
        )


class Migration(_base.Migration):
    """The webchat's visitors: the random key of a visitor's signed token,
    unique per inbox, and the contact its messages are filed under."""

    dependencies = [('models', '0020_email')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebchatVisitor',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('inbox', fields.ForeignKeyField('models.Inbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=64)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(null=True, max_length=200)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webchat_visitor', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One visitor of one WEBCHAT inbox, unique by (inbox, key): the key is'},
            bases=['Model'],
        ),
        ops.RunSQL(
            ["CREATE UNIQUE INDEX uid_webchat_visitor_key ON webchat_visitor (inbox_id, key)"],
            reverse_sql=["DROP INDEX uid_webchat_visitor_key"],
        ),
        ops.RunPython(give_webchat_keys, ops.RunPython.noop),
    ]
