from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(_base.Migration):
    """Automations on the inbox: a rule's conditions on the conversation of
    an inbox trigger, and the conversation a run acts on."""

    dependencies = [('models', '0015_inbox')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AutomationRule',
            name='conversation_conditions',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='AutomationRun',
            name='conversation_id',
            field=fields.IntField(null=True),
        ),
    ]
