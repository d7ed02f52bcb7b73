from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops


class Migration(_base.Migration):
    """Tags of a page of contacts are loaded by (workspace, contact): without
    this index, a database without statistics yet (SQLite never collects
    them by itself; PostgreSQL before autovacuum) picked (workspace, name)
    and read every tag of the workspace (bench/README.md)."""

    dependencies = [("models", "0007_automations")]

    operations = [
        ops.RunSQL(
            ["CREATE INDEX idx_contact_tag_ws_contact ON contact_tag (workspace_id, contact_id)"],
            reverse_sql=["DROP INDEX idx_contact_tag_ws_contact"],
        ),
    ]
