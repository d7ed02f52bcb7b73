"""The flow chatbot: an inbox's flows (every version kept, at most one
active) and the bot's state in each conversation it runs."""

from tortoise import fields
from tortoise.models import Model


class BotFlow(Model):
    """One version of an inbox's flow. Setting a flow adds the next version
    and makes it the active one; removing it leaves no active version. Old
    versions stay: a conversation runs to the end on the version it started
    on. `definition` is the validated flow (resolvers/chatbot/definition.py)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    inbox = fields.ForeignKeyField("models.Inbox", related_name=False, on_delete=fields.CASCADE)
    version = fields.IntField()
    definition = fields.JSONField()
    active = fields.BooleanField(default=True)
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bot_flow"
        unique_together = (("inbox", "version"),)


class BotSession(Model):
    """The bot in one conversation: the flow version it runs, the node it is
    on (WAITING for the contact's answer there), the answers so far, and the
    last inbound message it processed — written in the same transaction as
    the messages it sends, so a redelivered task or a restart neither
    repeats nor skips a step."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    conversation = fields.OneToOneField(
        "models.Conversation", related_name="bot_session", on_delete=fields.CASCADE
    )
    flow = fields.ForeignKeyField("models.BotFlow", related_name=False, on_delete=fields.CASCADE)
    # WAITING (at node_id, for an answer), HANDED_OFF or ENDED.
    status = fields.CharField(max_length=10, default="WAITING")
    node_id = fields.CharField(max_length=64, null=True)
    # Invalid answers in a row at the current node.
    retries = fields.SmallIntField(default=0)
    # {node id: {"value": ..., "option": n}} for questions and collected fields.
    answers = fields.JSONField(default=dict)
    last_message_id = fields.BigIntField(default=0)
    handoff_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "bot_session"
