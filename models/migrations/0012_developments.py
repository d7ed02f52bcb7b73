from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """Empreendimentos (seed 002): developments with their typologies,
    contacts' interests in them, the development of interest of deals and
    capture forms, and the development an event is about (its timeline).
    Indexes: one live development per name in a workspace, one interest
    per contact and development, deals by development (reports group by
    it), contacts by development of interest (the `interestedIn` filter)."""

    dependencies = [('models', '0011_active_offer')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Development',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='developments', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('name_search', fields.CharField(max_length=200)),
                ('developer', fields.ForeignKeyField('models.Company', source_field='developer_id', null=True, db_constraint=True, to_field='id', related_name='developments', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='PRE_LAUNCH', max_length=20)),
                ('address', fields.CharField(null=True, max_length=300)),
                ('neighborhood', fields.CharField(null=True, max_length=100)),
                ('zone', fields.CharField(null=True, max_length=64)),
                ('city', fields.CharField(null=True, max_length=100)),
                ('state', fields.CharField(null=True, max_length=2)),
                ('postal_code', fields.CharField(null=True, max_length=9)),
                ('price_min', fields.DecimalField(null=True, max_digits=18, decimal_places=2)),
                ('price_max', fields.DecimalField(null=True, max_digits=18, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'development', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An empreendimento: a project the workspace sells, with its developer'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactInterest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='interest_rows', on_delete=OnDelete.CASCADE)),
                ('development', fields.ForeignKeyField('models.Development', source_field='development_id', db_constraint=True, to_field='id', related_name='interest_rows', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contact_interest', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A contact is interested in a development (a lead\'s "empreendimento de'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DevelopmentTypology',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('development', fields.ForeignKeyField('models.Development', source_field='development_id', db_constraint=True, to_field='id', related_name='typology_rows', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
            ],
            options={'table': 'development_typology', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A typology of a development ("2 quartos", "cobertura"), as a row so'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Deal',
            name='development',
            field=fields.ForeignKeyField('models.Development', source_field='development_id', null=True, db_constraint=True, to_field='id', related_name='deals', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Event',
            name='development_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Form',
            name='development',
            field=fields.ForeignKeyField('models.Development', source_field='development_id', null=True, db_constraint=True, to_field='id', related_name='forms', on_delete=OnDelete.SET_NULL),
        ),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uniq_development_live_name ON development (workspace_id, name_search) "
                "WHERE archived_at IS NULL",
                "CREATE UNIQUE INDEX uniq_development_typology ON development_typology (development_id, name)",
                "CREATE INDEX idx_development_typology_name ON development_typology (name, development_id)",
                "CREATE UNIQUE INDEX uniq_contact_interest ON contact_interest (contact_id, development_id)",
                "CREATE INDEX idx_contact_interest_development ON contact_interest (development_id, contact_id)",
                "CREATE INDEX idx_deal_ws_development ON deal (workspace_id, development_id)",
                "CREATE INDEX idx_event_development ON event (development_id, id) WHERE development_id IS NOT NULL",
            ],
            reverse_sql=[
                "DROP INDEX uniq_development_live_name",
                "DROP INDEX uniq_development_typology",
                "DROP INDEX idx_development_typology_name",
                "DROP INDEX uniq_contact_interest",
                "DROP INDEX idx_contact_interest_development",
                "DROP INDEX idx_deal_ws_development",
                "DROP INDEX idx_event_development",
            ],
        ),
    ]
