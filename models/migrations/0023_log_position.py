from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops


class Migration(_base.Migration):
    """The workspace's log position (resolvers/log_position.py): a `log`
    counter per workspace, moved by every unit of work that records events,
    read with each request's credential. Existing workspaces start at 0."""

    dependencies = [('models', '0022_chatbot')]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "INSERT INTO sequence_counter (workspace_id, name, value) "
                "SELECT id, 'log', 0 FROM workspace",
            ],
            [
                "DELETE FROM sequence_counter WHERE name = 'log'",
            ],
        ),
    ]
