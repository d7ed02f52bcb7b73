"""Which developments a contact is interested in: a lead's "empreendimento de
interesse", several at once. Whoever may see a contact may change its
interests; a development newly named must be live, one the contact is
already interested in stays even when archived. Each change is one
`contact.interests_changed` event on the contact's timeline."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError

from revgraph.models.crm import Contact
from revgraph.models.developments import ContactInterest, Development
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.visibility import named_record

# A contact weighs a handful of projects, not a catalogue.
MAX_INTERESTS = 20


async def interest_ids(contact_id: int) -> list[int]:
    """The contact's developments of interest, in the order they were added."""
    return list(
        await ContactInterest.filter(contact_id=contact_id)
        .order_by("id")
        .values_list("development_id", flat=True)
    )


def interests_of(ctx: Context) -> loaders.BatchLoader:
    """Per contact id, its developments of interest (ids), one query per request."""
    return loaders.loader(
        ctx,
        "contact_interests",
        lambda ws: loaders.grouped(ws, ContactInterest, "contact_id", "development_id"),
    )


def _too_many(field: list[str]) -> DomainError:
    return DomainError(
        "INVALID",
        _("A contact is interested in at most {MAX_INTERESTS} developments.", MAX_INTERESTS=MAX_INTERESTS),
        field,
    )


async def change_interests(
    actor: Actor | None,
    contact: Contact,
    current: Sequence[int],
    wanted: Sequence[int],
    *,
    actor_label: str | None = None,
) -> bool:
    """Make the contact's interests `wanted` (caller's transaction) and
    record what changed; False when nothing did."""
    added = [d for d in wanted if d not in current]
    removed = [d for d in current if d not in wanted]
    if not added and not removed:
        return False
    if removed:
        await ContactInterest.filter(contact_id=contact.id, development_id__in=removed).delete()
    if added:
        await ContactInterest.bulk_create(
            [
                ContactInterest(workspace_id=contact.workspace_id, contact_id=contact.id, development_id=d)
                for d in added
            ]
        )
    names = dict(await Development.filter(id__in=[*added, *removed]).values_list("id", "name"))
    parts = []
    if added:
        parts.append(
            N_("interested in {developments}", developments=", ".join(names.get(d, "?") for d in added))
        )
    if removed:
        parts.append(
            N_(
                "no longer interested in {developments}",
                developments=", ".join(names.get(d, "?") for d in removed),
            )
        )
    summary = parts[0] if len(parts) == 1 else N_("{first}; {second}", first=parts[0], second=parts[1])
    await record_event(
        actor,
        contact.workspace_id,
        "contact.interests_changed",
        N_("{contact}: {summary}", contact=contact.name, summary=summary),
        data={
            "added": [encode_id("Development", d) for d in added],
            "removed": [encode_id("Development", d) for d in removed],
            "interests": [encode_id("Development", d) for d in wanted],
        },
        contact_id=contact.id,
        actor_label=actor_label,
    )
    return True


async def add_lead_interest(
    actor: Actor | None, contact: Contact, development_id: int, *, actor_label: str | None
) -> None:
    """A captured lead's development becomes one of its contact's interests
    (caller's transaction). A contact at the limit keeps the interests it
    has: losing the lead over one would be worse."""
    current = await interest_ids(contact.id)
    if development_id in current or len(current) >= MAX_INTERESTS:
        return
    await change_interests(actor, contact, current, [*current, development_id], actor_label=actor_label)


async def _subject(ctx: Context, contact_id: str) -> Contact:
    return await named_record(ctx, Contact, contact_id, ["contactId"])


async def set_contact_interests(ctx: Context, contact_id: str, development_ids: list[str]) -> Contact:
    """Replace the contact's interests with these developments (in this order;
    an empty list clears them)."""
    actor = ctx.require_actor()
    contact = await _subject(ctx, contact_id)
    if len(development_ids) > MAX_INTERESTS:
        raise _too_many(["developmentIds"])
    current = await interest_ids(contact.id)
    wanted: list[int] = []
    for index, raw in enumerate(development_ids):
        pk = pk_of(raw, "Development")
        if pk is None or pk not in current:
            pk = (await named_record(ctx, Development, raw, ["developmentIds", str(index)])).id
        if pk not in wanted:
            wanted.append(pk)
    try:
        async with unit_of_work():
            await change_interests(actor, contact, current, wanted)
    except IntegrityError as error:
        raise DomainError(
            "VERSION_CONFLICT",
            _("The contact's interests changed meanwhile: reload them and try again."),
            ["contactId"],
        ) from error
    return contact


async def add_contact_interest(ctx: Context, contact_id: str, development_id: str) -> Contact:
    """Add one development to the contact's interests; one it already has is a no-op."""
    actor = ctx.require_actor()
    contact = await _subject(ctx, contact_id)
    current = await interest_ids(contact.id)
    if pk_of(development_id, "Development") in current:
        return contact
    development = await named_record(ctx, Development, development_id, ["developmentId"])
    if len(current) >= MAX_INTERESTS:
        raise _too_many(["developmentId"])
    try:
        async with unit_of_work():
            await change_interests(actor, contact, current, [*current, development.id])
    except IntegrityError:
        pass  # a concurrent call added it: the contact is interested, as asked
    return contact


async def remove_contact_interest(ctx: Context, contact_id: str, development_id: str) -> Contact:
    """Remove one development (archived or not) from the contact's interests;
    one it does not have is a no-op."""
    actor = ctx.require_actor()
    contact = await _subject(ctx, contact_id)
    development = await named_record(ctx, Development, development_id, ["developmentId"], live=False)
    current = await interest_ids(contact.id)
    if development.id in current:
        async with unit_of_work():
            await change_interests(actor, contact, current, [d for d in current if d != development.id])
    return contact
