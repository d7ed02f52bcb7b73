"""eraseContact: anonymise a data subject now, everywhere it appears,
keeping every row (so counts and reports do not change):

- the contact (and duplicates merged into it): name, e-mail, phone, their
  search columns and custom fields;
- the log's events about it (summaries and data: the one place the log is
  rewritten), outgoing webhook deliveries' bodies and responses, the
  channel providers' stored webhook payloads that carried it, stored
  idempotent results;
- its conversations' messages (bodies, attachments' names, provider ids
  and channel facts such as e-mail headers; e-mail sources are deleted),
  CSAT comments, bot answers, webchat visitors (unlinked, so the browser
  starts a new contact), consent notes, touchpoints, notes, and its
  identifiers in deals, tasks, assignments, runs and notifications;
- the copies that came in from outside (copies.py): RD Station lead
  payloads (`marketing_conversion`: only the marketing facts stay, one not
  captured yet never is) and CSV imports (the stored rows naming the
  person in `import_chunk`, refused rows and their messages in
  `import_row_error`, i.e. the error report, dry-run keys in
  `import_file_key`, a job's failure text); an import that has not reached
  an erased row refuses it (ERASED) instead of creating the person again.

Every model's text and JSON columns (models/*.py), and where they stand:
contact (cleared), webchat_visitor, consent_record.note, note.body,
conversation.csat_comment, bot_session.answers/handoff_reason, message
(body, attachments, channel_data, variables, external_id, error),
email_source (deleted), touchpoint (message, utm, landing page,
campaign), deal (title, title_search, lost_reason, custom_fields), task,
assignment.reason, automation_run (error, reason), notification.message,
segment.search, event (summary, data), webhook_delivery (body,
response_body, last_error), inbound_webhook (payload, error),
idempotency_key.result, marketing_conversion (payload, error),
import_chunk.rows, import_row_error (values, problems), import_file_key,
import_job.failure: rewritten as above. Not about a person, left as they
are: configuration (automation_rule, bot_flow.definition, form, inbox,
stage, custom_field_definition, message_template, canned_response,
webhook_endpoint, marketing_intake, import_mapping and import_job's
columns and mapping: column names), conversation tags and SLA facts,
bulk_distribution (contact ids only), companies (an organisation's data),
import_record_key (the source system's key of a deal) and
marketing_conversion.dedupe_key (a hash, kept so a webhook sent again
stores nothing and creates no one).

The workspace's imports under way and uncaptured conversions are locked
before the contact (copies.lock_pending), in the order their own work
takes them, so neither interleaves with the erasure.

With the e-mail and phone gone, a later message from the same address or
number opens a new contact. The erasure is logged (`contact.erased`) with
who asked and why, the why cleared of the identifiers; erasing again
changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from revgraph.models.automation import AutomationRun, Notification
from revgraph.models.channels import InboundWebhook
from revgraph.models.chatbot import BotSession
from revgraph.models.consent import ConsentRecord
from revgraph.models.crm import Contact, Note, Segment, Task
from revgraph.models.distribution import Assignment, Touchpoint
from revgraph.models.events import Event, IdempotencyKey
from revgraph.models.inbox import Conversation, EmailSource, Message
from revgraph.models.pipeline import Deal
from revgraph.models.webchat import WebchatVisitor
from revgraph.models.webhooks import WebhookDelivery
from revgraph.resolvers.context import Context
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.lgpd import copies
from revgraph.resolvers.lgpd.log_search import events_naming
from revgraph.resolvers.lgpd.redaction import MIN_LENGTH, Redactor, custom_field_strings, phone_forms
from revgraph.resolvers.lgpd.subject import (
    ERASED_KIND,
    ERASED_NAME,
    REMOVED,
    Subject,
    load_subject,
    request_reason,
)
from revgraph.resolvers.ownership import actor_name


async def erase_contact(ctx: Context, raw_id: str, reason: str) -> Contact:
    actor = ctx.require_admin()
    why = request_reason(reason)
    async with unit_of_work():
        await copies.lock_pending(actor.workspace_id)
        subject = await load_subject(ctx, raw_id, for_update=True)
        contact = subject.contact
        if await Event.filter(
            workspace_id=contact.workspace_id, kind=ERASED_KIND, contact_id=contact.id
        ).exists():
            return contact
        identifiers = await _identifiers(subject)
        redactor = await _redactor(subject, identifiers)
        counts = await _erase(subject, redactor, identifiers)
        who = await actor_name(ctx)
        await record_event(
            actor,
            contact.workspace_id,
            ERASED_KIND,
            N_(
                "{who} erased the personal data of contact #{value} (LGPD)",
                who=who,
                value=contact.number or contact.id,
            ),
            data={"reason": redactor.text(why), "rows": counts},
            contact_id=contact.id,
        )
    return await Contact.get(id=contact.id)


async def _identifiers(subject: Subject) -> list[str]:
    """What names the person: name, e-mail, phone (as written), custom-field
    text, and what they typed in the webchat widget."""
    found: list[str | None] = []
    for row in await Contact.filter(id__in=subject.contact_ids):
        found += [row.name, row.email, row.phone, row.phone_digits, *phone_forms(row.phone)]
        found += custom_field_strings(row.custom_fields)
    for name, email in await WebchatVisitor.filter(contact_id__in=subject.contact_ids).values_list(
        "name", "email"
    ):
        found += [name, email]
    return [s.strip() for s in found if isinstance(s, str) and len(s.strip()) >= MIN_LENGTH]


async def _redactor(subject: Subject, identifiers: list[str]) -> Redactor:
    """The identifiers, and the content only the person produced."""
    secrets: list[str | None] = list(identifiers)
    messages = await Message.filter(conversation_id__in=subject.conversation_ids).values_list(
        "body", "attachments", "external_id"
    )
    for body, attachments, external_id in messages:
        secrets += [body, external_id]
        secrets += [a.get("name") for a in attachments or [] if isinstance(a, dict)]
    secrets += await Conversation.filter(id__in=subject.conversation_ids).values_list(
        "csat_comment", flat=True
    )
    secrets += await Touchpoint.filter(contact_id__in=subject.contact_ids).values_list("message", flat=True)
    secrets += await Note.filter(contact_id__in=subject.contact_ids).values_list("body", flat=True)
    return Redactor(secrets)


async def _rewrite(
    rows: list[Model], redactor: Redactor, text: tuple[str, ...], blank: dict[str, Any]
) -> int:
    """Redact the `text` columns of each row and set the `blank` ones."""
    changed = 0
    for row in rows:
        values = {name: redactor.value(getattr(row, name)) for name in text}
        values.update(blank)
        values = {k: v for k, v in values.items() if v != getattr(row, k)}
        if values:
            await type(row).filter(pk=row.pk).update(**values)
            changed += 1
    return changed


async def _erase(subject: Subject, redactor: Redactor, identifiers: list[str]) -> dict[str, int]:
    ids, convs, deals = subject.contact_ids, subject.conversation_ids, subject.deal_ids
    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    keys = await copies.subject_keys(subject)  # before the contacts lose them
    await Contact.filter(id__in=ids).update(
        name=ERASED_NAME,
        name_search=ERASED_NAME.lower(),
        email=None,
        phone=None,
        phone_digits=None,
        custom_fields={},
    )
    counts["contacts"] = len(ids)
    await WebchatVisitor.filter(contact_id__in=ids).update(name=None, email=None, contact_id=None)
    await ConsentRecord.filter(contact_id__in=ids).update(note=None)
    counts["notes"] = await Note.filter(contact_id__in=ids).update(body=REMOVED)
    counts["notes"] += await Note.filter(deal_id__in=deals).exclude(contact_id__in=ids).update(body=REMOVED)
    await Conversation.filter(id__in=convs).update(csat_comment=None)
    await BotSession.filter(conversation_id__in=convs).update(answers={}, handoff_reason=None)
    messages = await Message.filter(conversation_id__in=convs)
    for message in messages:
        attachments = [
            {k: v for k, v in a.items() if k in ("kind", "mimeType", "size")} | {"name": REMOVED}
            for a in message.attachments or []
            if isinstance(a, dict)
        ]
        await Message.filter(id=message.id).update(
            body=REMOVED,
            attachments=attachments or message.attachments,
            channel_data=None,
            variables=None,
            external_id=None,
            error=redactor.text(message.error),
        )
    counts["messages"] = len(messages)
    counts["emailSources"] = await EmailSource.filter(message_id__in=[m.id for m in messages]).delete()
    touchpoints = await Touchpoint.filter(contact_id__in=ids)
    await _rewrite(touchpoints, redactor, ("landing_page", "utm", "campaign"), {"message": None})
    await _rewrite(
        await Deal.filter(id__in=deals),
        redactor,
        ("title", "title_search", "lost_reason", "custom_fields"),
        {},
    )
    await _rewrite(await Task.filter(contact_id__in=ids), redactor, ("title",), {})
    await _rewrite(await Task.filter(deal_id__in=deals), redactor, ("title",), {})
    await _rewrite(await Assignment.filter(contact_id__in=ids), redactor, ("reason",), {})
    await _rewrite(await AutomationRun.filter(contact_id__in=ids), redactor, ("error", "reason"), {})
    notifications = Notification.filter(Q(contact_id__in=ids) | Q(deal_id__in=deals or [0]))
    await _rewrite(await notifications, redactor, ("message",), {})
    events = await Event.filter(subject.event_q(), workspace_id=subject.workspace_id)
    # Other subjects' events that name the person (a saved list, a merge).
    first = min((e.id for e in events), default=None)
    if first is not None:
        known = {e.id for e in events}
        naming = await events_naming(subject.workspace_id, identifiers, first)
        events += await Event.filter(id__in=[i for i in naming if i not in known])
    # A saved list whose search is the person (their name, e-mail or phone).
    segments = await Segment.filter(workspace_id=subject.workspace_id, search__not_isnull=True)
    await _rewrite([x for x in segments if redactor.contains(x.search)], redactor, ("search",), {})
    counts["events"] = await _rewrite(events, redactor, ("summary", "data"), {})
    counts["webhookDeliveries"] = await _deliveries(subject, [e.id for e in events], redactor)
    counts["providerPayloads"] = await _inbound_payloads(convs, redactor, now)
    counts["marketingConversions"] = await copies.erase_conversions(subject, keys, redactor, now)
    counts |= await copies.erase_imports(subject, keys, redactor)
    # A stored result names the person only from when they first existed.
    since = min(await Contact.filter(id__in=ids).values_list("created_at", flat=True)) - timedelta(minutes=5)
    keys = await IdempotencyKey.filter(
        workspace_id=subject.workspace_id, result__not_isnull=True, created_at__gte=since
    )
    await _rewrite([k for k in keys if redactor.contains_json(k.result)], redactor, ("result",), {})
    return counts


async def _deliveries(subject: Subject, event_ids: list[int], redactor: Redactor) -> int:
    """Outgoing deliveries keep their row, status and webhook-id; their
    body (what a redelivery sends) and the receiver's answer lose the
    identifiers."""
    rows = await WebhookDelivery.filter(workspace_id=subject.workspace_id, event_id__in=event_ids)
    changed = 0
    for row in rows:
        body = json.dumps(redactor.value(json.loads(row.body)), separators=(",", ":"), ensure_ascii=False)
        response = redactor.text(row.response_body)
        last_error = redactor.text(row.last_error)
        if body != row.body or response != row.response_body or last_error != row.last_error:
            await WebhookDelivery.filter(id=row.id).update(
                body=body, response_body=response, last_error=last_error
            )
            changed += 1
    return changed


async def _inbound_payloads(conversation_ids: list[int], redactor: Redactor, now: datetime) -> int:
    """A provider's stored webhook that carried the subject (its number,
    name, message text) is done with: its payload is emptied."""
    inbox_ids = (
        await Conversation.filter(id__in=conversation_ids).distinct().values_list("inbox_id", flat=True)
    )
    changed = 0
    for row in await InboundWebhook.filter(inbox_id__in=list(inbox_ids)):
        if redactor.contains_json(row.payload):
            await InboundWebhook.filter(id=row.id).update(
                payload={"erased": True}, error=redactor.text(row.error), processed_at=row.processed_at or now
            )
            changed += 1
    return changed
