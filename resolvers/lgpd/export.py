"""exportContactData: everything held about a data subject as one JSON
document (LGPD art. 18 access and portability), for an ADMIN, logged as
`contact.data_exported` with who asked and why. Records are written as the
API names their fields (global ids), the same shape outgoing webhooks use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.models import Model

from revgraph.models.consent import ConsentRecord
from revgraph.models.crm import Contact, ContactTag, Note, Task
from revgraph.models.developments import ContactInterest
from revgraph.models.distribution import Assignment, Touchpoint
from revgraph.models.events import Event
from revgraph.models.inbox import Conversation, Message
from revgraph.models.pipeline import Deal
from revgraph.resolvers.consent import current_by_channel
from revgraph.resolvers.context import Context
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.lgpd.subject import EXPORTED_KIND, Subject, load_subject, request_reason
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.webhooks.event_types import subject_fields

FORMAT = "revgraph.lgpd.contact-export/1"


def _rows(type_name: str, rows: list[Model]) -> list[dict[str, Any]]:
    return [subject_fields(type_name, row) for row in rows]


async def export_contact_data(ctx: Context, raw_id: str, reason: str) -> dict[str, Any]:
    actor = ctx.require_admin()
    why = request_reason(reason)
    async with unit_of_work():
        subject = await load_subject(ctx, raw_id)
        document = await build(subject)
        who = await actor_name(ctx)
        contact = subject.contact
        event = await record_event(
            actor,
            contact.workspace_id,
            EXPORTED_KIND,
            N_(
                "{who} exported the personal data of contact #{value} (LGPD)",
                who=who,
                value=contact.number or contact.id,
            ),
            data={"reason": why},
            contact_id=contact.id,
        )
    document["exportedAt"] = event.at.isoformat()
    document["exportedBy"] = who
    document["reason"] = why
    return document


async def build(subject: Subject) -> dict[str, Any]:
    ids, convs, deals = subject.contact_ids, subject.conversation_ids, subject.deal_ids
    contacts = await Contact.filter(id__in=ids).order_by("id")
    records = []
    for row in contacts:
        record = subject_fields("Contact", row)
        record["tags"] = list(
            await ContactTag.filter(contact_id=row.id).order_by("name").values_list("name", flat=True)
        )
        records.append(record)
    consents = await ConsentRecord.filter(contact_id__in=ids).order_by("-id")
    conversations = []
    for conversation in await Conversation.filter(id__in=convs).order_by("id"):
        entry = subject_fields("Conversation", conversation)
        messages = await Message.filter(conversation_id=conversation.id).order_by("id")
        # The channel's facts (e-mail headers, WhatsApp context) are the subject's too.
        entry["messages"] = [
            {**subject_fields("Message", m), "channelData": m.channel_data} for m in messages
        ]
        conversations.append(entry)
    events = await Event.filter(subject.event_q(), workspace_id=subject.workspace_id).order_by("id")
    return {
        "format": FORMAT,
        "generatedAt": datetime.now(UTC).isoformat(),
        "contact": records[0],
        "mergedContacts": records[1:],
        "consents": {
            "current": _rows("Consent", current_by_channel(consents)),
            "history": _rows("Consent", consents),
        },
        "conversations": conversations,
        "deals": _rows("Deal", await Deal.filter(id__in=deals).order_by("id")),
        "tasks": _rows("Task", await Task.filter(contact_id__in=ids).order_by("id")),
        "notes": _rows("Note", await Note.filter(contact_id__in=ids).order_by("id")),
        "touchpoints": _rows("Touchpoint", await Touchpoint.filter(contact_id__in=ids).order_by("id")),
        "assignments": _rows("Assignment", await Assignment.filter(contact_id__in=ids).order_by("id")),
        "interests": _rows(
            "ContactInterest", await ContactInterest.filter(contact_id__in=ids).order_by("id")
        ),
        "timeline": [
            {
                "id": encode_id("Event", event.id),
                "kind": event.kind,
                "summary": event.summary,
                "data": event.data,
                "actor": event.actor_label,
                "at": event.at.isoformat(),
            }
            for event in events
        ],
    }
