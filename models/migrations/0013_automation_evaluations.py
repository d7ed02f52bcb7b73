from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(_base.Migration):
    """Which events the automation engine evaluated, so the due-time scan can
    send again those whose evaluate message was lost. Recent events already
    dispatched count as evaluated (they were, before this table existed)."""

    dependencies = [('models', '0012_developments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AutomationEvaluation',
            fields=[
                ('event_id', fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'automation_evaluation', 'app': 'models', 'pk_attr': 'event_id', 'table_description': 'An event the automation engine has evaluated (its runs, if any, are'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "INSERT INTO automation_evaluation (event_id, at) SELECT id, CURRENT_TIMESTAMP FROM event "
                "WHERE dispatched AND id > (SELECT COALESCE(MAX(id), 0) - 200000 FROM event)",
            ],
            reverse_sql=["DELETE FROM automation_evaluation"],
        ),
    ]
