"""Campos adicionais: the typed fields a workspace adds to its contacts,
companies and deals. Values live in each record's `custom_fields` JSON,
keyed by the definition's `key`."""

from tortoise import fields
from tortoise.models import Model


class CustomFieldDefinition(Model):
    """One field of one entity (CONTACT, COMPANY, DEAL). The key is a stable
    machine name, unique per workspace and entity, archived ones included
    (their values stay in the records); label and options are what people
    read."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    entity = fields.CharField(max_length=8)
    key = fields.CharField(max_length=64)
    label = fields.CharField(max_length=200)
    type = fields.CharField(max_length=16)
    # SELECT / MULTI_SELECT: [{"key": ..., "label": ...}] in display order.
    options = fields.JSONField(default=list)
    # Required when the record is created (createContact/createCompany/createDeal).
    required = fields.BooleanField(default=False)
    position = fields.IntField(default=0)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "custom_field_definition"
        unique_together = (("workspace", "entity", "key"),)
