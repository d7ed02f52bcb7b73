"""Who uses a field: the records holding values under its key (a type change
would break them), those choosing one of its options (removing it would
strand them), and the settings that write or require it (archiving it
would break them)."""

from __future__ import annotations

from tortoise.models import Model

from revgraph.models.automation import AutomationRule
from revgraph.models.crm import Company, Contact
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.distribution import Form
from revgraph.models.pipeline import Deal, Stage
from revgraph.resolvers.custom_fields.filters import option_q, stored_q
from revgraph.resolvers.custom_fields.types import shape_of
from revgraph.resolvers.i18n import _

RECORDS: dict[str, type[Model]] = {"CONTACT": Contact, "COMPANY": Company, "DEAL": Deal}
# Automation setField targets, by entity (resolvers/automations/definitions.py).
SET_FIELD_TARGETS = {"CONTACT": "CONTACT_CUSTOM_FIELD", "DEAL": "DEAL_CUSTOM_FIELD"}


async def records_holding(definition: CustomFieldDefinition) -> int:
    """Records of the workspace, trashed ones included (they can come
    back), with any value under the field's key."""
    model = RECORDS[definition.entity]
    return await model.filter(stored_q(definition.key), workspace_id=definition.workspace_id).count()


async def records_choosing(definition: CustomFieldDefinition, option: str) -> int:
    """Records whose value is (or, for MULTI_SELECT, includes) `option`."""
    model = RECORDS[definition.entity]
    return await model.filter(
        option_q(shape_of(definition), option), workspace_id=definition.workspace_id
    ).count()


async def settings_using(definition: CustomFieldDefinition) -> list[str]:
    """Live stages, automation rules and forms that require or write the
    field, named for people ("stage Proposta", "rule Qualificar", ...)."""
    key, workspace_id = definition.key, definition.workspace_id
    found: list[str] = []
    if definition.entity == "DEAL":
        stages = await Stage.filter(workspace_id=workspace_id, archived_at=None).values(
            "name", "required_fields"
        )
        found += [
            _("stage {name}", name=s["name"])
            for s in stages
            if f"customFields.{key}" in (s["required_fields"] or ())
        ]
    target = SET_FIELD_TARGETS.get(definition.entity)
    if target is not None:
        rules = await AutomationRule.filter(workspace_id=workspace_id, deleted_at=None).values(
            "name", "actions"
        )
        for rule in rules:
            for action in rule["actions"] or ():
                params = action.get("params") or {}
                if action.get("type") == "setField" and params.get("field") == target:
                    if params.get("customFieldKey") == key:
                        found.append(_("rule {name}", name=rule["name"]))
                        break
    if definition.entity == "CONTACT":
        forms = await Form.filter(workspace_id=workspace_id, archived_at=None).values("name", "field_mapping")
        found += [
            _("form {name}", name=m["name"])
            for m in forms
            if f"customFields.{key}" in (m["field_mapping"] or {}).values()
        ]
    return found
