from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops

INDEXES = [
    ("idx_pipeline_ws", "pipeline", "workspace_id, position", False, None),
    ("idx_stage_pipeline", "stage", "pipeline_id, position", False, None),
    # Board columns in card order (ties, possible after concurrent moves,
    # break by id).
    ("idx_deal_stage_rank", "deal", "stage_id, rank, id", False, "deleted_at IS NULL"),
    ("idx_deal_ws_owner", "deal", "workspace_id, owner_id", False, None),
    ("idx_deal_ws_created", "deal", "workspace_id, created_at", False, None),
    ("idx_deal_ws_pipeline", "deal", "workspace_id, pipeline_id", False, None),
    ("idx_deal_contact", "deal", "contact_id", False, None),
    ("idx_deal_company", "deal", "company_id", False, None),
    ("idx_transition_deal", "stage_transition", "deal_id, id", False, None),
    ("idx_transition_to_stage", "stage_transition", "to_stage_id, at", False, None),
]


def create(name, table, columns, unique, where):
    sql = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} ({columns})"
    return sql + (f" WHERE {where}" if where else "")


class Migration(_base.Migration):
    """Indexes of the pipeline tables (see models/__init__.py)."""

    dependencies = [("models", "0003_pipeline")]

    operations = [
        ops.RunSQL(
            [create(*index) for index in INDEXES],
            reverse_sql=[f"DROP INDEX {index[0]}" for index in INDEXES],
        ),
    ]
