from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(_base.Migration):
    dependencies = [('models', '0004_pipeline_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Event',
            name='board_sequence',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Pipeline',
            name='board_sequence',
            field=fields.BigIntField(default=0),
        ),
        ops.RunSQL(
            ["CREATE UNIQUE INDEX uniq_event_board_sequence ON event (pipeline_id, board_sequence)"
             " WHERE board_sequence IS NOT NULL"],
            reverse_sql=["DROP INDEX uniq_event_board_sequence"],
        ),
    ]
