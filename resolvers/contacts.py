"""Contacts: the people of the 360° graph — lookup, lists with filters,
search and ordering, create/update with deduplication, trash and restore."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from revgraph.models.crm import Contact, ContactTag
from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.resolvers.bulk_insert import in_list, insert_returning_ids
from revgraph.resolvers.companies import company_ref
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.values import custom_fields_input, definitions_for
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, record_events, unit_of_work
from revgraph.resolvers.i18n import N_, Listing, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.numbering import reserve_numbers
from revgraph.resolvers.ownership import actor_name, assignable_user, default_owner
from revgraph.resolvers.validation import (
    normalize_email,
    normalize_phone,
    normalize_tags,
    optional_text,
    required_text,
)
from revgraph.resolvers.visibility import Scope, named_record, scope_of, visible_q

LIFECYCLE_STAGES = ("LEAD", "MQL", "SQL", "OPPORTUNITY", "CUSTOMER", "DISQUALIFIED")


async def visible_contacts(ctx: Context) -> QuerySet:
    """Every contact the caller may see, trashed ones included."""
    return Contact.filter(visible_q(await scope_of(ctx), Contact))


async def get_contact(ctx: Context, pk: int) -> Contact | None:
    """A visible contact by primary key, trashed or not (so it can be restored)."""
    return await (await visible_contacts(ctx)).filter(id=pk).first()


async def find_contact(
    ctx: Context, contact_id: str | None, field: list[str], *, live: bool = True
) -> Contact:
    """A visible contact named by a global id (trashed too unless `live`),
    or NOT_FOUND on `field`."""
    return await named_record(ctx, Contact, contact_id, field, live=live)


# ------------------------------------------------------------------ writes

LABELS = {
    "name": N_("name"),
    "email": N_("e-mail"),
    "phone": N_("phone"),
    "companyId": N_("company"),
    "ownerId": N_("owner"),
    "lifecycleStage": N_("lifecycle stage"),
    "source": N_("source"),
    "tags": N_("tags"),
    "customFields": N_("custom fields"),
}


def snapshot(contact: Contact, tags: list[str]) -> dict[str, Any]:
    """The contact as the API names its fields, for change records."""
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "companyId": encode_id("Company", contact.company_id) if contact.company_id else None,
        "ownerId": encode_id("User", contact.owner_id) if contact.owner_id else None,
        "lifecycleStage": contact.lifecycle_stage,
        "source": contact.source,
        "tags": list(tags),
        "customFields": dict(contact.custom_fields or {}),
    }


def _lifecycle(value: Any, field: list[str]) -> str:
    if value not in LIFECYCLE_STAGES:
        raise DomainError(
            "INVALID", _("lifecycleStage must be one of {items}.", items=", ".join(LIFECYCLE_STAGES)), field
        )
    return str(value)


def _optional_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return normalize_email(value, ["input", "email"])


def _optional_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return normalize_phone(value, ["input", "phone"])


def set_phone(contact: Contact, phone: str | None) -> None:
    contact.phone = phone
    contact.phone_digits = phone.lstrip("+") if phone else None


def set_name(contact: Contact, name: str) -> None:
    contact.name = name
    contact.name_search = name.lower()


async def ensure_unique(
    workspace_id: int, email: str | None, phone: str | None, *, exclude: int | None, field_prefix: list[str]
) -> None:
    """DUPLICATE when another live contact of the workspace has this e-mail or phone."""
    taken = await _taken(workspace_id, [email] if email else [], [phone] if phone else [], exclude=exclude)
    clash = _clash(taken, email, phone, field_prefix)
    if clash is not None:
        raise clash


async def matching_contacts(workspace_id: int, email: str | None, phone: str | None) -> list[Contact]:
    """The live contacts a record with this (normalised) e-mail or phone
    duplicates, the e-mail's match first: the rule of captureLead (which
    re-enters the first) and of imports."""
    rows = await live_contacts_with(workspace_id, [email] if email else [], [phone] if phone else [])
    return sorted(rows, key=lambda row: not (email and row.email == email))


async def live_contacts_with(
    workspace_id: int, emails: Sequence[str], phones: Sequence[str], *, exclude: int | None = None
) -> list[Contact]:
    """The workspace's live contacts (but `exclude`) with any of `emails`
    or any of `phones`, in id order. Two queries, each read through its
    unique index: one `email IN (...) OR phone IN (...)` makes SQLite scan
    every live contact of the workspace (measured: an import slowing from
    207 to 45 rows/s as its workspace grew to 75,000 contacts)."""
    found: dict[int, Contact] = {}
    for column, values in (("email", emails), ("phone", phones)):
        if not values:
            continue
        rows = Contact.filter(
            workspace_id=workspace_id, deleted_at=None, **{f"{column}__in": in_list(values)}
        )
        if exclude is not None:
            rows = rows.exclude(id=exclude)
        for contact in await rows:
            found.setdefault(contact.id, contact)
    return [found[pk] for pk in sorted(found)]


async def duplicate_from_race(
    workspace_id: int, contact: Contact, field_prefix: list[str], error: IntegrityError
) -> DomainError:
    """Name the field a concurrent writer took between our check and our write."""
    try:
        await ensure_unique(
            workspace_id, contact.email, contact.phone, exclude=contact.id, field_prefix=field_prefix
        )
    except DomainError as duplicate:
        return duplicate
    raise error


async def _replace_tags(contact: Contact, workspace_id: int, old: list[str], new: list[str]) -> None:
    gone = [t for t in old if t not in new]
    added = [t for t in new if t not in old]
    if gone:
        await ContactTag.filter(contact_id=contact.id, name__in=gone).delete()
    if added:
        await ContactTag.bulk_create(
            [ContactTag(workspace_id=workspace_id, contact_id=contact.id, name=t) for t in added]
        )


async def release_leads(*args: Any, **kwargs: Any) -> None:
    # Imported late: distribution builds on contacts, not the other way round.
    from revgraph.resolvers.distribution.assign import release_leads as release

    await release(*args, **kwargs)


async def create_contact(ctx: Context, data: Mapping[str, Any]) -> Contact:
    """Create a contact. E-mail and phone are normalised and must not belong
    to another live contact of the workspace (DUPLICATE); an AGENT's contact
    is theirs by default, anyone else's starts unowned."""
    (created,) = await create_contacts(ctx, [data])
    if isinstance(created, DomainError):
        raise created
    return created


async def create_contacts(ctx: Context, inputs: Sequence[Mapping[str, Any]]) -> list[Contact | DomainError]:
    """create_contact for several inputs (createContact sends one; an
    import, a batch of rows): each input is checked on its own and answered
    with its contact or with the DomainError create_contact raises for it,
    in order. An input whose e-mail or phone an earlier one of `inputs`
    takes is DUPLICATE, as it would be created after it. The accepted ones
    are written together: one uniqueness query, one number reservation and
    one INSERT each for contacts, tags and events, in the caller's unit of
    work if there is one."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    definitions = await definitions_for(actor.workspace_id, "CONTACT")
    read: list[tuple[Contact, list[str]] | DomainError] = []
    for data in inputs:
        try:
            read.append(await _new_contact(ctx, scope, data, definitions))
        except DomainError as error:
            read.append(error)
    built = [r[0] for r in read if not isinstance(r, DomainError)]
    taken = await _taken(
        actor.workspace_id, [c.email for c in built if c.email], [c.phone for c in built if c.phone]
    )
    out: list[Contact | DomainError] = []
    tags_of: dict[int, list[str]] = {}
    fresh: list[Contact] = []
    for item in read:
        if isinstance(item, DomainError):
            out.append(item)
            continue
        contact, tags = item
        clash = _clash(taken, contact.email, contact.phone, ["input"])
        if clash is not None:
            out.append(clash)
            continue
        taken.update(_keys(contact.email, contact.phone))
        tags_of[id(contact)] = tags
        fresh.append(contact)
        out.append(contact)
    if not fresh:
        return out
    try:
        async with unit_of_work():
            first = await reserve_numbers(actor.workspace_id, "contact", len(fresh))
            for offset, contact in enumerate(fresh):
                contact.number = first + offset
            await insert_returning_ids(fresh)
            tag_rows = [
                ContactTag(workspace_id=actor.workspace_id, contact_id=contact.id, name=t)
                for contact in fresh
                for t in tags_of[id(contact)]
            ]
            if tag_rows:
                await ContactTag.bulk_create(tag_rows)
            name = await actor_name(ctx)
            await record_events(
                actor,
                actor.workspace_id,
                [
                    {
                        "kind": "contact.created",
                        "summary": N_("{actor} created contact {contact}", actor=name, contact=contact.name),
                        "data": {"contact": snapshot(contact, tags_of[id(contact)])},
                        "contact_id": contact.id,
                    }
                    for contact in fresh
                ],
            )
    except IntegrityError as error:
        if len(fresh) > 1:
            raise  # a concurrent writer: the caller retries the inputs one by one
        raise await duplicate_from_race(actor.workspace_id, fresh[0], ["input"], error) from error
    return out


async def _new_contact(
    ctx: Context, scope: Scope, data: Mapping[str, Any], definitions: Sequence[CustomFieldDefinition]
) -> tuple[Contact, list[str]]:
    """createContact's input checked and read into an unsaved contact and
    its tags, or its first problem raised."""
    actor = ctx.require_actor()
    contact = Contact(workspace_id=actor.workspace_id)
    set_name(contact, required_text(data.get("name"), ["input", "name"]))
    contact.email = _optional_email(data.get("email"))
    set_phone(contact, _optional_phone(data.get("phone")))
    contact.company_id = await company_ref(ctx, data.get("company_id"), ["input", "companyId"])
    contact.owner_id = (
        await assignable_user(ctx, scope, data["owner_id"], ["input", "ownerId"])
        if data.get("owner_id") is not None
        else default_owner(ctx)
    )
    contact.lifecycle_stage = _lifecycle(data.get("lifecycle_stage") or "LEAD", ["input", "lifecycleStage"])
    contact.source = optional_text(data.get("source"), ["input", "source"], max_length=64, what=_("Source"))
    limits = ctx.settings.limits
    contact.custom_fields = await custom_fields_input(
        actor.workspace_id,
        "CONTACT",
        data.get("custom_fields"),
        ["input", "customFields"],
        limits,
        creating=True,
        definitions=definitions,
    )
    return contact, normalize_tags(data.get("tags") or [], ["input", "tags"], limits)


def _keys(email: str | None, phone: str | None) -> set[str]:
    return {k for k in (f"email:{email}" if email else "", f"phone:{phone}" if phone else "") if k}


async def _taken(
    workspace_id: int, emails: Sequence[str], phones: Sequence[str], *, exclude: int | None = None
) -> set[str]:
    """Which of `emails` and `phones` live contacts of the workspace (but
    `exclude`) hold, as _keys: one query."""
    wanted_emails, wanted_phones = set(emails), set(phones)
    taken: set[str] = set()
    for contact in await live_contacts_with(workspace_id, emails, phones, exclude=exclude):
        email, phone = contact.email, contact.phone
        taken.update(
            _keys(email if email in wanted_emails else None, phone if phone in wanted_phones else None)
        )
    return taken


def _clash(
    taken: set[str], email: str | None, phone: str | None, field_prefix: list[str]
) -> DomainError | None:
    """DUPLICATE on the e-mail, else the phone, when `taken` holds it."""
    if email and f"email:{email}" in taken:
        return DomainError(
            "DUPLICATE", _("A contact with this e-mail already exists."), [*field_prefix, "email"]
        )
    if phone and f"phone:{phone}" in taken:
        return DomainError(
            "DUPLICATE", _("A contact with this phone already exists."), [*field_prefix, "phone"]
        )
    return None


async def contact_tags(contact_id: int) -> list[str]:
    return list(await ContactTag.filter(contact_id=contact_id).order_by("id").values_list("name", flat=True))


async def update_contact(ctx: Context, contact_id: str, data: Mapping[str, Any]) -> Contact:
    """Change the fields sent (null clears an optional one). Records
    `contact.updated` with each changed field's from/to; no change, no event."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    contact = await find_contact(ctx, contact_id, ["id"], live=False)
    if contact.deleted_at is not None:
        raise DomainError("RULE_VIOLATION", _("This contact is in the trash; restore it first."), ["id"])
    old_tags = await contact_tags(contact.id)
    before = snapshot(contact, old_tags)
    tags = old_tags
    if "name" in data:
        set_name(contact, required_text(data["name"], ["input", "name"]))
    if "email" in data:
        contact.email = _optional_email(data["email"])
    if "phone" in data:
        set_phone(contact, _optional_phone(data["phone"]))
    if "company_id" in data:
        contact.company_id = await company_ref(ctx, data["company_id"], ["input", "companyId"])
    if "owner_id" in data and data["owner_id"] != before["ownerId"]:
        contact.owner_id = await assignable_user(ctx, scope, data["owner_id"], ["input", "ownerId"])
    if "lifecycle_stage" in data:
        stage = _lifecycle(data["lifecycle_stage"], ["input", "lifecycleStage"])
        if stage == "DISQUALIFIED" and contact.lifecycle_stage != "DISQUALIFIED":
            raise DomainError(
                "RULE_VIOLATION",
                _("Disqualifying a lead needs a reason: use disqualifyLead(contactId, reason)."),
                ["input", "lifecycleStage"],
            )
        contact.lifecycle_stage = stage
    if "source" in data:
        contact.source = optional_text(data["source"], ["input", "source"], max_length=64, what=_("Source"))
    if "tags" in data:
        tags = normalize_tags(data["tags"] or [], ["input", "tags"], ctx.settings.limits)
    if "custom_fields" in data:
        contact.custom_fields = await custom_fields_input(
            actor.workspace_id,
            "CONTACT",
            data["custom_fields"],
            ["input", "customFields"],
            ctx.settings.limits,
            stored=contact.custom_fields,
        )
    after = snapshot(contact, tags)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if after[k] != before[k]}
    if not changes:
        return contact
    await ensure_unique(
        actor.workspace_id,
        contact.email if "email" in changes else None,
        contact.phone if "phone" in changes else None,
        exclude=contact.id,
        field_prefix=["input"],
    )
    try:
        async with unit_of_work():
            await contact.save()
            if "tags" in changes:
                await _replace_tags(contact, actor.workspace_id, old_tags, tags)
            await record_event(
                actor,
                actor.workspace_id,
                "contact.updated",
                N_(
                    "{actor} changed {items}",
                    actor=await actor_name(ctx),
                    items=Listing(LABELS[k] for k in changes),
                ),
                data={"changes": changes},
                contact_id=contact.id,
            )
            if "ownerId" in changes:
                # The old owner's assignment stops holding their capacity.
                await release_leads(actor, actor.workspace_id, contact_id=contact.id, why="owner changed")
    except IntegrityError as error:
        raise await duplicate_from_race(actor.workspace_id, contact, ["input"], error) from error
    return contact


async def delete_contact(ctx: Context, contact_id: str) -> Contact:
    """Move a contact to the trash (restorable until the workspace's
    retention passes). Deleting a trashed contact changes nothing."""
    actor = ctx.require_actor()
    contact = await find_contact(ctx, contact_id, ["id"], live=False)
    if contact.deleted_at is not None:
        return contact
    async with unit_of_work():
        contact.deleted_at = datetime.now(UTC)
        await contact.save(update_fields=["deleted_at", "updated_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "contact.deleted",
            N_("{actor} moved {contact} to the trash", actor=await actor_name(ctx), contact=contact.name),
            contact_id=contact.id,
        )
        # A trashed lead no longer holds its owner's queue capacity.
        await release_leads(actor, actor.workspace_id, contact_id=contact.id, why="trashed")
    return contact


async def restore_contact(ctx: Context, contact_id: str) -> Contact:
    """Bring a trashed contact back, unless its e-mail or phone now belongs
    to a live contact (DUPLICATE) or it was merged into another one."""
    actor = ctx.require_actor()
    contact = await find_contact(ctx, contact_id, ["id"], live=False)
    if contact.deleted_at is None:
        return contact
    if contact.merged_into_id is not None:
        raise DomainError(
            "RULE_VIOLATION", _("This contact was merged into another one and cannot be restored."), ["id"]
        )
    try:
        await ensure_unique(actor.workspace_id, contact.email, contact.phone, exclude=None, field_prefix=[])
    except DomainError as duplicate:
        raise DomainError(
            "DUPLICATE",
            _(
                "{duplicate_problems}; merge them instead of restoring.",
                duplicate_problems=duplicate.problems[0].message[:-1],
            ),
            ["id"],
        ) from duplicate
    try:
        async with unit_of_work():
            contact.deleted_at = None
            await contact.save(update_fields=["deleted_at", "updated_at"])
            await record_event(
                actor,
                actor.workspace_id,
                "contact.restored",
                N_(
                    "{actor} restored {contact} from the trash",
                    actor=await actor_name(ctx),
                    contact=contact.name,
                ),
                contact_id=contact.id,
            )
    except IntegrityError as error:
        raise DomainError(
            "DUPLICATE", _("A live contact now has this e-mail or phone; merge them instead."), ["id"]
        ) from error
    return contact
