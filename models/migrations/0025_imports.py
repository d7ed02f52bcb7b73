from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    dependencies = [('models', '0024_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('entity', fields.CharField(max_length=16)),
                ('filename', fields.CharField(max_length=255)),
                ('encoding', fields.CharField(max_length=16)),
                ('delimiter', fields.CharField(max_length=1)),
                ('columns', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('row_count', fields.IntField(default=0)),
                ('mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('duplicate_policy', fields.CharField(default='SKIP', max_length=12)),
                ('status', fields.CharField(default='UPLOADED', max_length=10)),
                ('cursor', fields.IntField(default=0)),
                ('dry_run', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_count', fields.IntField(default=0)),
                ('updated_count', fields.IntField(default=0)),
                ('skipped_count', fields.IntField(default=0)),
                ('failed_count', fields.IntField(default=0)),
                ('failure', fields.CharField(null=True, max_length=500)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'import_job', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One uploaded file and its import. `cursor` is the spreadsheet row the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportChunk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('first_row', fields.IntField()),
                ('rows', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'import_chunk', 'app': 'models', 'pk_attr': 'id', 'table_description': "Up to CHUNK_ROWS consecutive data rows of a job's file, as lists of"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportMapping',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('entity', fields.CharField(max_length=16)),
                ('name', fields.CharField(max_length=100)),
                ('mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'import_mapping', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A column→field mapping saved by name for the next file of the same'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportRowError',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='row_errors', on_delete=OnDelete.CASCADE)),
                ('phase', fields.CharField(max_length=8)),
                ('row', fields.IntField()),
                ('values', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('problems', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'import_row_error', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Why one row was refused, in a phase (DRY_RUN or RUN): the cells as'},
            bases=['Model'],
        ),
            ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uq_import_chunk_number ON import_chunk (job_id, number)",
                "CREATE INDEX idx_import_row_error_row ON import_row_error (job_id, phase, row)",
                "CREATE INDEX idx_import_job_workspace ON import_job (workspace_id, id)",
                "CREATE UNIQUE INDEX uq_import_mapping_name ON import_mapping (workspace_id, entity, name)",
            ],
            [
                "DROP INDEX uq_import_chunk_number",
                "DROP INDEX idx_import_row_error_row",
                "DROP INDEX idx_import_job_workspace",
                "DROP INDEX uq_import_mapping_name",
            ],
        ),
    ]
