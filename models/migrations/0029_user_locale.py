from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(_base.Migration):
    """A user's own language (resolvers/i18n.py); null follows the
    workspace's default. Chained after 0026 on this branch: the lead
    re-chains it at merge."""

    dependencies = [('models', '0028_stage_entries')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='locale',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
