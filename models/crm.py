"""The 360° graph: companies, contacts, tags, tasks and notes."""

from tortoise import fields
from tortoise.models import Model


class Company(Model):
    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="companies", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    domain = fields.CharField(max_length=253, null=True)
    owner = fields.ForeignKeyField(
        "models.User", related_name="companies", null=True, on_delete=fields.SET_NULL
    )
    custom_fields = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "company"


class Contact(Model):
    """One record per person. Live (not trashed) contacts are unique per
    workspace by normalised e-mail and by E.164 phone: partial unique
    indexes created in the migrations, since Tortoise cannot declare them."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="contacts", on_delete=fields.CASCADE)
    # The workspace's readable lead number (seed 002's "número único"):
    # 1, 2, 3... in order of creation, unique per workspace.
    number = fields.BigIntField(null=True)
    name = fields.CharField(max_length=200)
    # Lower-cased copy of name for case-insensitive search on every backend.
    name_search = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=20, null=True)
    # The E.164 phone without "+", so a digits-only search is a substring match.
    phone_digits = fields.CharField(max_length=20, null=True)
    company = fields.ForeignKeyField(
        "models.Company", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    owner = fields.ForeignKeyField(
        "models.User", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    lifecycle_stage = fields.CharField(max_length=16, default="LEAD")
    score = fields.IntField(default=0)
    source = fields.CharField(max_length=64, null=True)
    custom_fields = fields.JSONField(default=dict)
    merged_into = fields.ForeignKeyField(
        "models.Contact", related_name="merged_contacts", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "contact"


class ContactTag(Model):
    """Tags are rows, not JSON, so `tags: [..]` filters run in SQL on every backend."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.Contact", related_name="tag_rows", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)

    class Meta:
        table = "contact_tag"


class Task(Model):
    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="tasks", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=300)
    due_at = fields.DatetimeField(null=True)
    done = fields.BooleanField(default=False)
    done_at = fields.DatetimeField(null=True)
    assignee = fields.ForeignKeyField(
        "models.User", related_name="tasks", null=True, on_delete=fields.SET_NULL
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="tasks", null=True, on_delete=fields.CASCADE
    )
    # Deals arrive with the pipeline issue; the column is ready for them.
    deal_id = fields.IntField(null=True, db_index=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="created_tasks", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "task"


class Note(Model):
    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="notes", on_delete=fields.CASCADE)
    body = fields.TextField()
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="notes", null=True, on_delete=fields.CASCADE
    )
    deal_id = fields.IntField(null=True, db_index=True)
    author = fields.ForeignKeyField("models.User", related_name="notes", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "note"


class Segment(Model):
    """A saved contact list: a name and a ContactFilter (plus search text),
    evaluated when used, under the visibility of whoever uses it. Seed
    002's "oferta ativa" distributes one through a queue."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="segments", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    # `filter` is a Model attribute: the column is `conditions`.
    conditions = fields.JSONField(default=dict)
    search = fields.CharField(max_length=256, null=True)
    created_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "segment"
