from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


class Migration(_base.Migration):
    """Columns the real channels share: a message's content type, its
    attachments and the channel's own facts (e-mail threading headers,
    WhatsApp context); an inbox's address on its channel (phoneNumberId,
    e-mail address, webchat key), unique per channel."""

    dependencies = [('models', '0017_report_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='content_type',
            field=fields.CharField(default='text', max_length=16),
        ),
        ops.AddField(
            model_name='Message',
            name='attachments',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Message',
            name='channel_data',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Inbox',
            name='channel_address',
            field=fields.CharField(null=True, max_length=320),
        ),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uid_inbox_channel_address ON inbox (channel, channel_address)"
                " WHERE channel_address IS NOT NULL",
            ],
            reverse_sql=["DROP INDEX uid_inbox_channel_address"],
        ),
    ]
