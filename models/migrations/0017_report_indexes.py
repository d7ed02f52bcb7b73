from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops


class Migration(_base.Migration):
    """Indexes the dashboards' ranges read by: stage moves, tasks due,
    assignments made, events of a kind and messages sent, each by workspace
    (or author) and time, so a report filters its range in the index instead
    of scanning a workspace's whole history."""

    dependencies = [('models', '0016_automation_conversations')]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE INDEX idx_stage_transition_ws_at ON stage_transition (workspace_id, at)",
                "CREATE INDEX idx_task_ws_due ON task (workspace_id, due_at)",
                "CREATE INDEX idx_assignment_ws_assigned ON assignment (workspace_id, assigned_at)",
                "CREATE INDEX idx_event_ws_kind_at ON event (workspace_id, kind, at)",
                "CREATE INDEX idx_message_author_at ON message (author_id, created_at) WHERE author_id IS NOT NULL",
            ],
            reverse_sql=[
                "DROP INDEX idx_stage_transition_ws_at",
                "DROP INDEX idx_task_ws_due",
                "DROP INDEX idx_assignment_ws_assigned",
                "DROP INDEX idx_event_ws_kind_at",
                "DROP INDEX idx_message_author_at",
            ],
        ),
    ]
