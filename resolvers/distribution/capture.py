"""Lead capture: one entry for the API, public forms and marketing tools.

Every capture appends `lead.captured` with its touchpoint. A lead whose
normalised e-mail or phone matches a live contact re-enters that contact
(`lead.reentered`), keeping its owner while the workspace's lead lock holds
(30 days since the last activity by default); after that it is
redistributed. Captured into a pipeline, a returning lead re-enters the
contact's open deal there (the re-entry is on that deal's timeline); a new
deal opens only when none is open. Two concurrent captures of one new
person never create two contacts: the partial unique indexes refuse the
second insert and the capture is retried, finding the first; captures of
one known contact are serialised on its row, so they never open two deals.
A capture naming a development (the lead's "empreendimento de interesse")
adds it to the contact's interests and gives it to the deal it opens, or
to the open deal it re-enters when that one has none."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError
from tortoise.functions import Max

from revgraph.models.crm import Contact
from revgraph.models.developments import Development
from revgraph.models.distribution import Assignment, Form, Queue, Touchpoint
from revgraph.models.events import Event
from revgraph.models.identity import Workspace
from revgraph.models.pipeline import Deal, Pipeline
from revgraph.resolvers.contact_interests import add_lead_interest
from revgraph.resolvers.contacts import matching_contacts, set_name, set_phone, snapshot
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.custom_fields.values import custom_fields_input
from revgraph.resolvers.developments import live_development
from revgraph.resolvers.distribution.assign import assign_through_queue
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.numbering import next_number
from revgraph.resolvers.settings import Limits, Settings
from revgraph.resolvers.validation import (
    check_custom_fields,
    custom_fields_object,
    fits_custom_fields,
    normalize_email,
    normalize_phone,
    optional_text,
    required_text,
)
from revgraph.resolvers.visibility import compute_scope, visible_q

RACE_RETRIES = 3
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


@dataclass
class Captured:
    # None only in what capture_lead answers a caller who may not see the
    # returning lead's contact (it re-entered someone else's lead).
    contact: Contact | None
    created: bool
    deal: Deal | None
    assignment: Assignment | None


@dataclass
class Lead:
    """A lead as received, validated and normalised."""

    name: str
    email: str | None
    phone: str | None
    source: str
    media: str | None
    campaign: str | None
    utm: dict[str, Any]
    landing_page: str | None
    message: str | None
    custom_fields: dict[str, Any]


def read_lead(values: dict[str, Any], field: list[str], limits: Limits) -> Lead:
    email = values.get("email")
    phone = values.get("phone")
    email = normalize_email(email, [*field, "email"]) if email and email.strip() else None
    phone = normalize_phone(phone, [*field, "phone"]) if phone and phone.strip() else None
    if email is None and phone is None:
        raise DomainError("INVALID", _("A lead needs an e-mail or a phone to be reached."), [*field, "email"])
    utm = values.get("utm") or {}
    if not isinstance(utm, dict) or not all(isinstance(v, (str, int, float)) for v in utm.values()):
        raise DomainError("INVALID", _("utm must be a JSON object of strings."), [*field, "utm"])
    # Kept with every touchpoint: bounded like a record's custom fields.
    check_custom_fields(utm, [*field, "utm"], limits, what=_("utm"))
    return Lead(
        name=required_text(values.get("name"), [*field, "name"]),
        email=email,
        phone=phone,
        source=required_text(values.get("source"), [*field, "source"], max_length=64, what=_("Source")),
        media=optional_text(values.get("media"), [*field, "media"], max_length=64, what=_("Media")),
        campaign=optional_text(
            values.get("campaign"), [*field, "campaign"], max_length=200, what=_("Campaign")
        ),
        utm={str(k): str(v) for k, v in utm.items()},
        landing_page=optional_text(
            values.get("landing_page"), [*field, "landingPage"], max_length=2000, what=_("Landing page")
        ),
        message=optional_text(
            values.get("message"), [*field, "message"], max_length=5000, what=_("Message"), multiline=True
        ),
        custom_fields=custom_fields_object(values.get("custom_fields"), [*field, "customFields"], limits),
    )


async def _existing(workspace_id: int, lead: Lead) -> Contact | None:
    # The e-mail match wins over the phone match when they differ.
    rows = await matching_contacts(workspace_id, lead.email, lead.phone)
    if not rows:
        return None
    found = rows[0]
    # Concurrent captures of this person wait here for each other (a no-op
    # on SQLite, whose transactions are serialised anyway).
    return await Contact.filter(id=found.id).select_for_update().first()


async def _open_deal(contact: Contact, pipeline: Pipeline) -> Deal | None:
    """The contact's oldest open deal in the pipeline, which a returning lead re-enters."""
    return (
        await Deal.filter(contact_id=contact.id, pipeline_id=pipeline.id, status="OPEN", deleted_at=None)
        .order_by("id")
        .first()
    )


async def _last_activity(contact: Contact) -> datetime:
    row = await Event.filter(contact_id=contact.id).annotate(last=Max("at")).values("last")
    last = row[0]["last"] if row and row[0]["last"] else None
    return last or contact.updated_at or contact.created_at


async def _lock_holds(contact: Contact, workspace: Workspace, now: datetime) -> bool:
    if contact.owner_id is None:
        return False
    return now - await _last_activity(contact) < timedelta(days=workspace.lead_lock_days)


def _origin(lead: Lead, form: Form | None) -> dict[str, Any]:
    return {
        "source": lead.source,
        "media": lead.media,
        "campaign": lead.campaign,
        "utm": lead.utm,
        "landingPage": lead.landing_page,
        "formId": form.id if form else None,
    }


async def _capture_once(
    settings: Settings,
    actor: Actor | None,
    workspace: Workspace,
    lead: Lead,
    *,
    queue: Queue | None,
    pipeline: Pipeline | None,
    form: Form | None,
    label: str | None,
    development: Development | None = None,
) -> Captured:
    now = datetime.now(UTC)
    async with unit_of_work():
        contact = await _existing(workspace.id, lead)
        created = contact is None
        if created:
            contact = Contact(
                workspace_id=workspace.id,
                lifecycle_stage="LEAD",
                source=lead.source,
                email=lead.email,
                custom_fields=dict(lead.custom_fields),
                owner_id=actor.user_id if actor and actor.role == "AGENT" else None,
            )
            set_name(contact, lead.name)
            set_phone(contact, lead.phone)
            contact.number = await next_number(workspace.id, "contact")
            await contact.save()
            await record_event(
                actor,
                workspace.id,
                "contact.created",
                N_(
                    "Lead {contact} arrived from {lead_source}", contact=contact.name, lead_source=lead.source
                ),
                data={"contact": snapshot(contact, [])},
                contact_id=contact.id,
                actor_label=label,
            )
            lock_holds = False
        else:
            lock_holds = await _lock_holds(contact, workspace, now)
            # Fill what the contact lacks; never overwrite what people typed.
            missing = {k: v for k, v in lead.custom_fields.items() if k not in (contact.custom_fields or {})}
            changed = []
            if missing and not fits_custom_fields(
                {**(contact.custom_fields or {}), **missing}, settings.limits
            ):
                # A contact at its limits keeps the fields it has; losing
                # the lead over them would be worse.
                missing = {}
            if missing:
                contact.custom_fields = {**(contact.custom_fields or {}), **missing}
                changed.append("custom_fields")
            if lead.email and not contact.email:
                contact.email = lead.email
                changed.append("email")
            if lead.phone and not contact.phone:
                set_phone(contact, lead.phone)
                changed += ["phone", "phone_digits"]
            if changed:
                await contact.save(update_fields=[*changed, "updated_at"])
        if development is not None:
            await add_lead_interest(actor, contact, development.id, actor_label=label)
        touchpoint = await Touchpoint.create(
            workspace_id=workspace.id,
            contact_id=contact.id,
            form_id=form.id if form else None,
            source=lead.source,
            media=lead.media,
            campaign=lead.campaign,
            utm=lead.utm,
            landing_page=lead.landing_page,
            message=lead.message,
        )
        origin = {**_origin(lead, form), "touchpointId": touchpoint.id, "message": lead.message}
        if development is not None:
            origin["developmentId"] = encode_id("Development", development.id)
        await record_event(
            actor,
            workspace.id,
            "lead.captured",
            N_("Lead {contact} captured from {lead_source}", contact=contact.name, lead_source=lead.source),
            data={**origin, "created": created},
            contact_id=contact.id,
            actor_label=label,
        )
        deal = reused = None
        if pipeline is not None:
            reused = None if created else await _open_deal(contact, pipeline)
            if reused is None:
                from revgraph.resolvers.deals import open_deal_for_lead

                deal = await open_deal_for_lead(
                    actor,
                    workspace,
                    pipeline,
                    contact,
                    title=f"{contact.name} ({lead.source})",
                    label=label,
                    development_id=development.id if development else None,
                )
            else:
                deal = reused
                if development is not None:
                    from revgraph.resolvers.deals import set_deal_development

                    await set_deal_development(actor, deal.id, development.id, actor_label=label)
        if not created:
            kept = (
                N_("owner kept (lead lock)")
                if lock_holds
                else N_("lock expired: redistributed")
                if queue
                else N_("returned")
            )
            where = N_(", back in deal {deal}", deal=reused.title) if reused is not None else ""
            await record_event(
                actor,
                workspace.id,
                "lead.reentered",
                N_(
                    "{contact} came back from {lead_source}: {kept}{where}",
                    contact=contact.name,
                    lead_source=lead.source,
                    kept=kept,
                    where=where,
                ),
                data={**origin, "ownerKept": lock_holds, "dealReentered": reused is not None},
                contact_id=contact.id,
                deal_id=reused.id if reused is not None else None,
                actor_label=label,
            )
        assignment = None
        if queue is not None and not lock_holds:
            assignment = await assign_through_queue(
                settings, actor, queue.id, contact_id=contact.id, deal_id=None, actor_label=label
            )
            if deal is not None and assignment.status == "ASSIGNED":
                from revgraph.resolvers.deals import set_deal_owner

                await set_deal_owner(actor, deal.id, assignment.user_id, actor_label=label)
    await contact.refresh_from_db()
    if deal is not None:
        await deal.refresh_from_db()
    return Captured(contact, created, deal, assignment)


async def capture(
    settings: Settings,
    actor: Actor | None,
    workspace_id: int,
    values: dict[str, Any],
    *,
    field: list[str],
    form: Form | None = None,
    label: str | None = None,
) -> Captured:
    """Validate and capture a lead, retrying when a concurrent capture of
    the same person won the insert. Its custom fields are checked like a
    contact's, but none is required: a lead is never lost over a field
    nobody asked it for (stage gates require fields later)."""
    lead = read_lead(values, field, settings.limits)
    lead.custom_fields = await custom_fields_input(
        workspace_id, "CONTACT", lead.custom_fields, [*field, "customFields"], settings.limits
    )
    workspace = await Workspace.get(id=workspace_id)
    queue = None
    queue_ref = values.get("queue_id")
    if queue_ref is not None:
        queue = await Queue.filter(
            id=pk_of(queue_ref, "Queue") if isinstance(queue_ref, str) else queue_ref,
            workspace_id=workspace_id,
            archived_at=None,
            kind="ROUTING",
        ).first()
        if queue is None:
            raise NotFound(_("Queue"), [*field, "queueId"])
    pipeline = None
    pipeline_ref = values.get("pipeline_id")
    if pipeline_ref is not None:
        pk = pk_of(pipeline_ref, "Pipeline") if isinstance(pipeline_ref, str) else pipeline_ref
        pipeline = await Pipeline.filter(id=pk or 0, workspace_id=workspace_id, archived_at=None).first()
        if pipeline is None:
            raise NotFound(_("Pipeline"), [*field, "pipelineId"])
    development = None
    if values.get("development_id") is not None:
        development = await live_development(
            workspace_id, values["development_id"], [*field, "developmentId"]
        )
    for attempt in range(RACE_RETRIES):
        try:
            return await _capture_once(
                settings,
                actor,
                workspace,
                lead,
                queue=queue,
                pipeline=pipeline,
                form=form,
                label=label,
                development=development,
            )
        except (IntegrityError, TransactionManagementError, OperationalError):
            if attempt == RACE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def capture_lead(ctx: Context, values: dict[str, Any]) -> Captured:
    """captureLead: an authenticated client (app, partner key) reports a lead.
    What the caller may not see of the result (a returning lead's contact
    or deal owned outside their scope) is left out of the answer."""
    actor = ctx.require_actor()
    captured = await capture(ctx.settings, actor, actor.workspace_id, values, field=["input"])
    return await as_seen_by(actor, captured)


async def as_seen_by(actor: Actor, captured: Captured) -> Captured:
    """The capture as its caller may see it: a returning lead's contact or
    deal outside their scope is left out (None), as if it did not exist."""
    scope = await compute_scope(actor.workspace_id, actor.user_id, actor.role)
    contact = captured.contact
    if contact is not None and not await Contact.filter(visible_q(scope, Contact), id=contact.id).exists():
        contact = None
    deal = captured.deal if captured.deal is not None and scope.sees_owner(captured.deal.owner_id) else None
    return replace(captured, contact=contact, deal=deal)
