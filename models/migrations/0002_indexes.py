from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops

# (name, table, columns, unique, where)
INDEXES = [
    ("uniq_team_name", "team", "workspace_id, name", True, None),
    ("idx_user_workspace_role", "app_user", "workspace_id, role", False, None),
    ("idx_company_ws_name", "company", "workspace_id, name", False, None),
    ("idx_company_ws_owner", "company", "workspace_id, owner_id", False, None),
    ("idx_contact_ws_owner", "contact", "workspace_id, owner_id", False, None),
    ("idx_contact_ws_created", "contact", "workspace_id, created_at", False, None),
    ("idx_contact_ws_name", "contact", "workspace_id, name_search", False, None),
    ("idx_contact_ws_company", "contact", "workspace_id, company_id", False, None),
    ("idx_contact_ws_deleted", "contact", "workspace_id, deleted_at", False, None),
    ("idx_contact_merged_into", "contact", "merged_into_id", False, None),
    # One live contact per person: trashed contacts do not count.
    ("uniq_contact_live_email", "contact", "workspace_id, email", True, "deleted_at IS NULL AND email IS NOT NULL"),
    ("uniq_contact_live_phone", "contact", "workspace_id, phone", True, "deleted_at IS NULL AND phone IS NOT NULL"),
    ("uniq_contact_tag", "contact_tag", "contact_id, name", True, None),
    ("idx_contact_tag_ws_name", "contact_tag", "workspace_id, name", False, None),
    ("idx_task_ws_assignee", "task", "workspace_id, assignee_id, done", False, None),
    ("idx_task_ws_contact", "task", "workspace_id, contact_id", False, None),
    ("idx_note_contact", "note", "contact_id", False, None),
    ("idx_event_contact", "event", "contact_id, id", False, None),
    ("idx_event_deal", "event", "deal_id, id", False, None),
    ("idx_event_pipeline", "event", "pipeline_id, id", False, None),
    ("idx_event_ws_kind", "event", "workspace_id, kind", False, None),
    ("idx_event_undispatched", "event", "id", False, "dispatched = FALSE"),
    ("uniq_idempotency_key", "idempotency_key", "workspace_id, operation, key", True, None),
]


def create(name, table, columns, unique, where):
    sql = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} ({columns})"
    return sql + (f" WHERE {where}" if where else "")


class Migration(_base.Migration):
    """Composite, partial and unique indexes (see models/__init__.py)."""

    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunSQL(
            [create(*index) for index in INDEXES],
            reverse_sql=[f"DROP INDEX {index[0]}" for index in INDEXES],
        ),
    ]
