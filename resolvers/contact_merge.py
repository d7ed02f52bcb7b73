"""Merging two records of the same person into one."""

from __future__ import annotations

from datetime import UTC, datetime

from revgraph.models.crm import Contact, ContactTag, Note, Task
from revgraph.models.developments import ContactInterest
from revgraph.models.pipeline import Deal
from revgraph.resolvers.contact_interests import MAX_INTERESTS, interest_ids
from revgraph.resolvers.contacts import contact_tags, find_contact, set_phone
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.validation import fits_custom_fields

# Fields the primary takes from the duplicate only when it has none.
FILLED_FIELDS = ("email", "phone", "company_id", "source")


async def merge_contacts(ctx: Context, primary_id: str, duplicate_id: str) -> Contact:
    """Fold the duplicate into the primary: its deals, tasks, notes, tags,
    developments of interest, the custom fields and contact data the primary
    lacks move over, the duplicate goes to the trash pointing at the
    primary, and its timeline stays readable on the primary. Both must be
    live and visible to the caller."""
    actor = ctx.require_actor()
    primary = await find_contact(ctx, primary_id, ["primaryId"])
    duplicate = await find_contact(ctx, duplicate_id, ["duplicateId"])
    if primary.id == duplicate.id:
        raise DomainError("INVALID", _("A contact cannot be merged into itself."), ["duplicateId"])
    primary_tags = await contact_tags(primary.id)
    duplicate_tags = await contact_tags(duplicate.id)
    new_tags = [t for t in duplicate_tags if t not in primary_tags]
    filled = [name for name in FILLED_FIELDS if getattr(primary, name) is None and getattr(duplicate, name)]
    new_custom = {k: v for k, v in (duplicate.custom_fields or {}).items() if k not in primary.custom_fields}
    primary_interests = await interest_ids(primary.id)
    new_interests = [d for d in await interest_ids(duplicate.id) if d not in primary_interests]
    if len(primary_interests) + len(new_interests) > MAX_INTERESTS:
        raise DomainError(
            "INVALID",
            _(
                "Merged, the contact would be interested in {value} developments; at most {MAX_INTERESTS}.",
                value=len(primary_interests) + len(new_interests),
                MAX_INTERESTS=MAX_INTERESTS,
            ),
            ["duplicateId"],
        )
    limits = ctx.settings.limits
    if len(primary_tags) + len(new_tags) > limits.max_tags:
        raise DomainError(
            "INVALID",
            _(
                "Merged, the contact would have {value} tags; a record has at most {limits_max_tags}.",
                value=len(primary_tags) + len(new_tags),
                limits_max_tags=limits.max_tags,
            ),
            ["duplicateId"],
        )
    if new_custom and not fits_custom_fields({**primary.custom_fields, **new_custom}, limits):
        raise DomainError(
            "INVALID", _("Merged, the contact's customFields would pass their limits."), ["duplicateId"]
        )
    async with unit_of_work():
        moved = {
            "tasks": await Task.filter(contact_id=duplicate.id).update(contact_id=primary.id),
            "notes": await Note.filter(contact_id=duplicate.id).update(contact_id=primary.id),
            "deals": await Deal.filter(contact_id=duplicate.id).update(contact_id=primary.id),
        }
        if new_tags:
            await ContactTag.filter(contact_id=duplicate.id, name__in=new_tags).update(contact_id=primary.id)
        await ContactTag.filter(contact_id=duplicate.id).delete()
        if new_interests:
            await ContactInterest.filter(contact_id=duplicate.id, development_id__in=new_interests).update(
                contact_id=primary.id
            )
        await ContactInterest.filter(contact_id=duplicate.id).delete()
        # Earlier merges into the duplicate now lead to the primary, so its
        # timeline keeps every event of every record of this person.
        await Contact.filter(merged_into_id=duplicate.id).update(merged_into_id=primary.id)
        # Trash the duplicate first: the live-only unique indexes then let
        # the primary take its e-mail and phone.
        await Contact.filter(id=duplicate.id).update(deleted_at=datetime.now(UTC), merged_into_id=primary.id)
        for name in filled:
            if name == "phone":
                set_phone(primary, duplicate.phone)
            else:
                setattr(primary, name, getattr(duplicate, name))
        if new_custom:
            primary.custom_fields = {**primary.custom_fields, **new_custom}
        await primary.save()
        await record_event(
            actor,
            actor.workspace_id,
            "contact.merged",
            N_(
                "{actor} merged {duplicate} into {primary}",
                actor=await actor_name(ctx),
                duplicate=duplicate.name,
                primary=primary.name,
            ),
            data={
                "duplicateId": encode_id("Contact", duplicate.id),
                "moved": {
                    **moved,
                    "tags": new_tags,
                    "customFields": sorted(new_custom),
                    "interests": [encode_id("Development", d) for d in new_interests],
                },
                "filled": [{"company_id": "companyId"}.get(n, n) for n in filled],
            },
            contact_id=primary.id,
        )
    return primary
