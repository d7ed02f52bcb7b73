"""The duplicates an import's rows meet (models.imports.ImportRowDuplicate):
per row of the dry run and of the import that matched a live record (or,
in a dry run, an earlier row of the file), the action, the record and the
fields an update changes; read a page at a time in row order (the unique
index on (job, phase, row) serves it, and keeps a restarted batch from
recording a row twice)."""

from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(_base.Migration):
    dependencies = [('models', '0033_stay_buckets')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportRowDuplicate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('phase', fields.CharField(max_length=8)),
                ('row', fields.IntField()),
                ('action', fields.CharField(max_length=6)),
                ('record_id', fields.IntField(null=True)),
                ('earlier_row', fields.IntField(null=True)),
                ('changed_fields', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'import_row_duplicate', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A row that met a duplicate, in a phase (DRY_RUN or RUN): what it does'},
            bases=['Model'],
        ),
        ops.RunSQL(
            ["CREATE UNIQUE INDEX uq_import_row_duplicate_row ON import_row_duplicate (job_id, phase, row)"],
            ["DROP INDEX uq_import_row_duplicate_row"],
        ),
    ]
