from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """Campos adicionais: typed field definitions per entity (contact,
    company, deal), unique by (workspace, entity, key). Values stay in each
    record's custom_fields JSON."""

    dependencies = [('models', '0013_automation_evaluations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomFieldDefinition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('entity', fields.CharField(max_length=8)),
                ('key', fields.CharField(max_length=64)),
                ('label', fields.CharField(max_length=200)),
                ('type', fields.CharField(max_length=16)),
                ('options', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('required', fields.BooleanField(default=False)),
                ('position', fields.IntField(default=0)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'custom_field_definition', 'app': 'models', 'unique_together': (('workspace', 'entity', 'key'),), 'pk_attr': 'id', 'table_description': 'One field of one entity (CONTACT, COMPANY, DEAL). The key is a stable'},
            bases=['Model'],
        ),
    ]
