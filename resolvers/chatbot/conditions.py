"""A CONDITION node's rules, and the contact fields a flow collects.

Business hours are judged at the instant the contact wrote the message the
bot is answering, not when the worker runs: a redelivered task or a run
resumed after a restart takes the same branch as the first would have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from revgraph.models.crm import Contact
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.resolvers.chatbot.answers import normalise_answer
from revgraph.resolvers.contacts import set_name, set_phone
from revgraph.resolvers.inbox.business_hours import BusinessCalendar, add_business_time

# A COLLECT node's field → the contact's column (CUSTOM: a customFields key).
COLUMNS = {"NAME": "name", "EMAIL": "email", "PHONE": "phone"}
LABELS = {"name": "nome", "email": "e-mail", "phone": "telefone"}


def is_open(business_hours: dict[str, Any] | None, at: datetime) -> bool:
    """Whether `at` falls inside the inbox's business hours (always, without them)."""
    if not business_hours:
        return True
    calendar = BusinessCalendar.from_json(business_hours)
    first = add_business_time(calendar, at, timedelta(0))
    return first is not None and first == at.astimezone(UTC)


def contact_value(contact: Contact, key: str) -> Any:
    if key in LABELS:
        return getattr(contact, key)
    return (contact.custom_fields or {}).get(key)


def holds(rule: dict[str, Any], have: Any) -> bool:
    """Whether a rule holds for the value it reads (`have`; None: not set)."""
    operator = rule["operator"]
    present = have is not None and str(have).strip() != ""
    if operator == "IS_SET":
        return present
    if operator == "IS_NOT_SET":
        return not present
    said, want = normalise_answer(str(have)) if present else "", normalise_answer(rule["value"] or "")
    if operator == "EQUALS":
        return present and said == want
    if operator == "NOT_EQUALS":
        return not present or said != want
    return present and want in said  # CONTAINS


async def custom_definition(workspace_id: int, key: str | None) -> CustomFieldDefinition | None:
    if key is None:
        return None
    return await CustomFieldDefinition.filter(workspace_id=workspace_id, entity="CONTACT", key=key).first()


async def taken_by_other(contact: Contact, column: str, value: str) -> Contact | None:
    """Another live contact of the workspace that has this e-mail or phone."""
    return (
        await Contact.filter(workspace_id=contact.workspace_id, deleted_at=None, **{column: value})
        .exclude(id=contact.id)
        .first()
    )


def write_field(contact: Contact, node: dict[str, Any], value: Any) -> dict[str, Any]:
    """Set a collected value on the contact; the change as contact.updated
    records it ({field: {"from", "to"}}), empty when it held that already."""
    column = COLUMNS.get(node["field"])
    if column is None:
        key = node["customFieldKey"]
        stored = dict(contact.custom_fields or {})
        if stored.get(key) == value:
            return {}
        before = dict(stored)
        stored[key] = value
        contact.custom_fields = stored
        return {"customFields": {"from": before, "to": stored}}
    before = getattr(contact, column)
    if before == value:
        return {}
    if column == "name":
        set_name(contact, value)
    elif column == "phone":
        set_phone(contact, value)
    else:
        contact.email = value
    return {column: {"from": before, "to": value}}
