"""The event types an endpoint may subscribe to: log kinds (models/events.py)
that partners see, each with the type of its subject. This one registry is
what `webhookEventTypes` lists and what the README's table shows.

A delivery's body is {"type", "timestamp", "data"}: `data.id` is the global
id of the event's subject and its other keys are the subject's fields as
the API names them (camelCase; a link as `<name>Id` holding a global id),
read when the event is taken into the endpoint's deliveries. A subject gone
since (purged) leaves its id and the event's own facts."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model

from revgraph.models.crm import Company, Contact, ContactTag, Task
from revgraph.models.events import Event
from revgraph.models.inbox import Conversation, Message
from revgraph.models.pipeline import Deal
from revgraph.resolvers.events import SUMMARY_MESSAGE
from revgraph.resolvers.ids import decode_id, encode_id

# kind → (subject type, what it means)
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "contact.created": ("Contact", "A contact was created (by hand, import, form or channel)."),
    "contact.updated": ("Contact", "A contact's fields changed."),
    "contact.deleted": ("Contact", "A contact went to the trash."),
    "contact.restored": ("Contact", "A contact came back from the trash."),
    "contact.merged": ("Contact", "Another contact was merged into this one."),
    "contact.score_changed": ("Contact", "A contact's lead score changed."),
    "contact.interests_changed": ("Contact", "A contact's interests changed."),
    "contact.erased": ("Contact", "A contact's personal data was erased on request (LGPD): erase your copy."),
    "company.created": ("Company", "A company was created."),
    "company.updated": ("Company", "A company's fields changed."),
    "company.deleted": ("Company", "A company went to the trash."),
    "company.restored": ("Company", "A company came back from the trash."),
    "deal.created": ("Deal", "A deal was created."),
    "deal.updated": ("Deal", "A deal's fields changed."),
    "deal.stage_changed": ("Deal", "A deal moved to another stage (won and lost included)."),
    "deal.deleted": ("Deal", "A deal went to the trash."),
    "deal.restored": ("Deal", "A deal came back from the trash."),
    "deal.handed_off": (
        "Deal",
        "A deal reached a partner hand-off rule's stage: sent only to that rule's endpoint, "
        "with `contact` and `partner`.",
    ),
    "deal.partner_updated": ("Deal", "A partner reported the deal's status back (updateDealFromPartner)."),
    "lead.captured": ("Contact", "A lead arrived (form, channel, captureLead)."),
    "lead.disqualified": ("Contact", "A lead was disqualified."),
    "lead.returned": ("Contact", "A lead went back to its queue."),
    "lead.reentered": (
        "Contact",
        "A known contact arrived again as a lead (form, channel, captureLead): kept by its owner or redistributed.",
    ),
    "assignment.made": ("Contact", "A lead was given to a person by a queue."),
    "assignment.queued": ("Contact", "A lead waits in a queue: nobody eligible to take it now."),
    "assignment.released": (
        "Contact",
        "A lead stopped counting on its owner's capacity (reassigned, disqualified, deal closed, trashed): "
        "with `release.why`.",
    ),
    "consent.granted": (
        "Contact",
        "A contact opted in to a channel's messages: with `consent` (channel, source, note).",
    ),
    "consent.revoked": (
        "Contact",
        "A contact opted out of a channel's messages: with `consent` (channel, source, note). Stop messaging it.",
    ),
    "note.added": ("Contact", "A note was added to a contact or deal: with `note` (body, dealId)."),
    "task.created": ("Task", "A task was created."),
    "task.updated": ("Task", "A task's title, due time or assignee changed."),
    "task.completed": ("Task", "A task was done."),
    "task.reopened": ("Task", "A done task was opened again."),
    "task.overdue": ("Task", "A task passed its due time undone."),
    "conversation.created": ("Conversation", "A conversation started."),
    "conversation.assigned": ("Conversation", "A conversation was given to someone (or to nobody)."),
    "conversation.status_changed": ("Conversation", "A conversation was resolved, reopened or snoozed."),
    "conversation.updated": ("Conversation", "A conversation's priority, tags or deal changed."),
    "conversation.csat_answered": ("Conversation", "The contact answered the satisfaction survey."),
    "conversation.sla_changed": ("Conversation", "A conversation's SLA state changed (`slaState`)."),
    "conversation.sla_warning": ("Conversation", "A conversation's SLA is close to being breached."),
    "conversation.sla_breached": ("Conversation", "A conversation's SLA was breached."),
    "message.created": ("Message", "A message was received or sent (`direction` says which)."),
    "message.updated": ("Message", "A sent message's status changed (delivered, read, failed)."),
}

# The event's own facts a body carries beside its subject's fields, under a
# key of its own: kind -> (key, the event data's keys taken).
FACTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "consent.granted": ("consent", ("channel", "granted", "source", "note")),
    "consent.revoked": ("consent", ("channel", "granted", "source", "note")),
    "note.added": ("note", ("body",)),
    "assignment.released": ("release", ("why",)),
}

# Log kinds that are not event types, and why. Everything else the code
# records is in EVENT_TYPES (tests/webhooks/test_delivery.py holds the two
# apart). They are the workspace's own administration, not facts about its
# customers: settings and their audit, people's accounts and credentials
# (a partner has no business with who reset a password or which API keys
# exist), the webhooks' own bookkeeping (an endpoint told about itself),
# job progress the API reports, and a board's card order, a view's arrangement.
NOT_EVENT_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "workspace.created",
            "workspace.updated",
            "pipeline.created",
            "pipeline.stages_reordered",
            "stage.added",
            "stage.archived",
            "stage.updated",
            "queue.created",
            "queue.updated",
            "queue.archived",
            "queue.member_added",
            "queue.member_changed",
            "queue.member_removed",
            "team.created",
            "team.updated",
            "inbox.created",
            "inbox.updated",
            "inbox.flow_set",
            "inbox.flow_removed",
            "sla_policy.created",
            "canned_response.created",
            "message_template.upserted",
            "custom_field.created",
            "custom_field.updated",
            "segment.created",
            "segment.updated",
            "segment.archived",
            "form.created",
            "form.updated",
            "form.archived",
            "development.created",
            "development.updated",
            "automation_rule.created",
            "automation_rule.updated",
            "automation_rule.enabled",
            "automation_rule.disabled",
            "automation_rule.deleted",
            "partner_handoff.created",
            "partner_handoff.deleted",
            "rdstation_intake.configured",
        ),
        "workspace configuration",
    ),
    **dict.fromkeys(
        (
            "user.created",
            "user.invited",
            "user.updated",
            "user.deactivated",
            "user.reactivated",
            "user.password_changed",
            "user.availability_changed",
            "invitation.accepted",
            "invitation.revoked",
            "password_reset.issued",
            "password_reset.used",
            "session.revoked",
            "api_key.created",
            "api_key.revoked",
            "notification.created",
        ),
        "people's accounts, credentials and notifications",
    ),
    **dict.fromkeys(
        (
            "webhook_endpoint.created",
            "webhook_endpoint.updated",
            "webhook_endpoint.deleted",
            "webhook_endpoint.disabled",
            "webhook_endpoint.secret_rotated",
            "webhook_delivery.redelivered",
        ),
        "the webhooks' own bookkeeping",
    ),
    **dict.fromkeys(
        (
            "automation.run_started",
            "automation.action",
            "automation.waiting",
            "automation.resumed",
            "automation.retried",
            "automation.skipped",
            "automation.exited",
            "automation.failed",
            "bulk_distribution.started",
            "bulk_distribution.finished",
            "import.queued",
            "import.finished",
        ),
        "job progress (the API reports it)",
    ),
    "contact.data_exported": "an admin's LGPD export: an audit of who read personal data, not a fact to share",
    "data.exported": "an admin's CSV export: an audit entry",
    "deal.reordered": "a card's place within its column: the board's arrangement (deal.stage_changed is the move)",
}

MODELS: dict[str, type[Model]] = {
    "Contact": Contact,
    "Company": Company,
    "Deal": Deal,
    "Task": Task,
    "Conversation": Conversation,
    "Message": Message,
}

# Columns that are how the database works, not what the API shows.
INTERNAL = {
    "workspace",
    "name_search",
    "title_search",
    "phone_digits",
    "rank",
    "version",
    "priority_rank",
    "routed_by_queue_id",
    "sla_facts",
    "sla_recorded",
    "sla_next_check_at",
    "csat_token_hash",
    "channel_data",
    "merged_into",
}


# Kinds delivered only to the endpoint their event names (`endpointId`):
# a partner hand-off goes to its rule's endpoint, not to every subscriber.
ADDRESSED = frozenset({"deal.handed_off"})


def addressed_to(event: Event, endpoint_id: int) -> bool:
    return event.kind not in ADDRESSED or (event.data or {}).get("endpointId") == endpoint_id


def event_type_names() -> list[str]:
    return list(EVENT_TYPES)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def subject_fields(type_name: str, row: Model) -> dict[str, Any]:
    """The row's fields as the API names them, links as global ids."""
    out: dict[str, Any] = {"id": encode_id(type_name, row.pk)}
    for name, field in row._meta.fields_map.items():
        if name in INTERNAL or name == "id" or (name.endswith("_id") and name[:-3] in row._meta.fields_map):
            continue
        if isinstance(field, ForeignKeyFieldInstance):
            linked = getattr(row, f"{name}_id")
            related = field.model_name.split(".")[-1]
            out[_camel(name) + "Id"] = encode_id(related, linked) if linked is not None else None
        elif name.endswith("_id") and field.has_db_field:
            # A plain id column (no foreign key) links all the same.
            linked = getattr(row, name)
            related = "".join(part.title() for part in name[:-3].split("_"))
            out[_camel(name)] = encode_id(related, linked) if linked is not None else None
        elif field.has_db_field:
            out[_camel(name)] = _plain(getattr(row, name))
    return out


def _subject_pk(type_name: str, event: Event) -> int | None:
    data = event.data or {}
    if type_name == "Contact":
        return event.contact_id
    if type_name == "Company":
        return event.company_id
    if type_name == "Deal":
        return event.deal_id
    if type_name == "Conversation":
        return event.conversation_id
    raw = data.get(f"{type_name[0].lower()}{type_name[1:]}Id")
    if isinstance(raw, str):
        decoded = decode_id(raw)
        return decoded[1] if decoded else None
    return raw if isinstance(raw, int) else None


async def event_body(event: Event) -> str:
    """The JSON body every attempt of this event sends (compact, stable)."""
    type_name = EVENT_TYPES[event.kind][0]
    pk = _subject_pk(type_name, event)
    data: dict[str, Any]
    row = None
    if pk is not None:
        row = await MODELS[type_name].filter(id=pk, workspace_id=event.workspace_id).first()
    if row is not None:
        data = subject_fields(type_name, row)
        if type_name == "Contact":
            tags = ContactTag.filter(contact_id=row.pk).order_by("name").values_list("name", flat=True)
            data["tags"] = list(await tags)
    else:
        facts = {
            k: v for k, v in (event.data or {}).items() if k not in ("seen", "automation", SUMMARY_MESSAGE)
        }
        data = {**facts, "id": encode_id(type_name, pk) if pk is not None else None}
    if event.kind in FACTS:
        key, taken = FACTS[event.kind]
        facts = {name: (event.data or {}).get(name) for name in taken}
        if event.kind == "note.added":
            facts["dealId"] = encode_id("Deal", event.deal_id) if event.deal_id is not None else None
        data[key] = facts
    if event.kind in ADDRESSED:
        data = await _handed_off(event, data)
    body = {"type": event.kind, "timestamp": event.at.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


async def _handed_off(event: Event, data: dict[str, Any]) -> dict[str, Any]:
    """A hand-off carries what the partner needs to work the deal: its
    contact (as `contact.*` events show it) and the partner's name."""
    contact = None
    if event.contact_id is not None:
        row = await Contact.filter(id=event.contact_id, workspace_id=event.workspace_id).first()
        contact = subject_fields("Contact", row) if row is not None else None
    return {**data, "contact": contact, "partner": (event.data or {}).get("partner")}
