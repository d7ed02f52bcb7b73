from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(_base.Migration):
    """Imports of companies and deals: the dry run's in-file duplicate keys
    (bounded memory), the external ids imported deals are found by, and an
    index for finding companies by domain."""

    dependencies = [('models', '0026_partners')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportFileKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=300)),
                ('row', fields.IntField()),
            ],
            options={'table': 'import_file_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A duplicate key (e.g. "email:ana@x.com") the dry run met in a job\'s'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportRecordKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('entity', fields.CharField(max_length=16)),
                ('key', fields.CharField(max_length=200)),
                ('record_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'import_record_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The external id (the source system\'s key, an "ID externo" column) an'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uq_import_file_key ON import_file_key (job_id, key)",
                "CREATE UNIQUE INDEX uq_import_record_key ON import_record_key (workspace_id, entity, key)",
                # A company import finds duplicates by domain once per row.
                "CREATE INDEX ix_company_domain ON company (workspace_id, domain)",
            ],
            [
                "DROP INDEX uq_import_file_key",
                "DROP INDEX uq_import_record_key",
                "DROP INDEX ix_company_domain",
            ],
        ),
    ]
