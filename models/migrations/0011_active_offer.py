from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """Oferta ativa (seed 002): saved contact lists (segments) and the jobs
    that distribute one through a queue."""

    dependencies = [('models', '0010_seed_002')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Segment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='segments', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('conditions', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('search', fields.CharField(null=True, max_length=256)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'segment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A saved contact list: a name and a ContactFilter (plus search text),'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BulkDistribution',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('segment', fields.ForeignKeyField('models.Segment', source_field='segment_id', db_constraint=True, to_field='id', related_name='distributions', on_delete=OnDelete.CASCADE)),
                ('queue', fields.ForeignKeyField('models.Queue', source_field='queue_id', db_constraint=True, to_field='id', related_name='bulk_distributions', on_delete=OnDelete.CASCADE)),
                ('requested_by', fields.ForeignKeyField('models.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='PENDING', max_length=8)),
                ('contact_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total', fields.IntField(default=0)),
                ('processed', fields.IntField(default=0)),
                ('assigned', fields.IntField(default=0)),
                ('queued', fields.IntField(default=0)),
                ('skipped', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bulk_distribution', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One "oferta ativa" job: the contacts of a segment, as their requester'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE INDEX idx_segment_ws ON segment (workspace_id, id)",
                "CREATE INDEX idx_bulk_distribution_ws ON bulk_distribution (workspace_id, id)",
            ],
            reverse_sql=["DROP INDEX idx_segment_ws", "DROP INDEX idx_bulk_distribution_ws"],
        ),
    ]
