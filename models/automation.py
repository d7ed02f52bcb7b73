"""Automations: rules (trigger → conditions → actions), their runs, the
notifications they send, and the marks that make `task.overdue` fire once."""

from tortoise import fields
from tortoise.models import Model


class AutomationRule(Model):
    """A workspace's rule. The trigger, conditions and actions are stored as
    validated JSON in the shape of the GraphQL inputs (ids as primary keys),
    so the engine reads exactly what the API accepted."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    enabled = fields.BooleanField(default=True)
    # The event kind from the log ("deal.stage_changed", ...): a column, so
    # the dispatch hook finds the rules of a batch in one indexed query.
    trigger_kind = fields.CharField(max_length=64)
    trigger = fields.JSONField(default=dict)
    contact_conditions = fields.JSONField(null=True)
    deal_conditions = fields.JSONField(null=True)
    # An AutomationConversationFilter: on conversation triggers, the conversation must match.
    conversation_conditions = fields.JSONField(null=True)
    actions = fields.JSONField(default=list)
    # Stage automations are listed on their stage: the trigger's stages as columns.
    from_stage_id = fields.IntField(null=True)
    to_stage_id = fields.IntField(null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Deleted rules keep their runs readable (the audit trail outlives them).
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automation_rule"


class AutomationRun(Model):
    """One rule applied to one event. UNIQUE (rule_id, event_id), created in
    the migration, is what makes a twice-delivered event run once. Steps
    advance one committed action at a time (`next_step`)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    rule = fields.ForeignKeyField("models.AutomationRule", related_name="runs", on_delete=fields.CASCADE)
    # Plain columns, like the log's subjects: the run outlives purged records.
    event_id = fields.BigIntField()
    event_kind = fields.CharField(max_length=64)
    contact_id = fields.IntField(null=True)
    deal_id = fields.IntField(null=True)
    # The conversation of an inbox trigger (what conversation actions act on).
    conversation_id = fields.IntField(null=True)
    status = fields.CharField(max_length=10)
    # Chain depth: 1 for a user's event, n+1 for an event an automation caused.
    depth = fields.IntField(default=1)
    next_step = fields.IntField(default=0)
    # The step whose wait already began (a step waits once).
    waited_step = fields.IntField(null=True)
    wake_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    error = fields.TextField(null=True)
    reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automation_run"


class Notification(Model):
    """A message to one user (from an automation's notify action)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="notifications", on_delete=fields.CASCADE)
    message = fields.TextField()
    contact_id = fields.IntField(null=True)
    deal_id = fields.IntField(null=True)
    rule_id = fields.IntField(null=True)
    run_id = fields.BigIntField(null=True)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"


class OverdueTaskMark(Model):
    """A task whose `task.overdue` event was recorded: UNIQUE task_id, so
    concurrent scans (two servers) emit it once."""

    id = fields.IntField(primary_key=True)
    task_id = fields.IntField(unique=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "overdue_task_mark"


class AutomationEvaluation(Model):
    """An event the automation engine has evaluated (its runs, if any, are
    created). Its absence after dispatch means the evaluate message was lost
    (a Redis that restarted without persistence, a crash): the due-time scan
    sends the event again, and (rule, event) uniqueness keeps runs single."""

    event_id = fields.BigIntField(primary_key=True, generated=False)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "automation_evaluation"
