"""The timeline: a contact's slice of the append-only event log, newest first."""

from __future__ import annotations

from tortoise.expressions import Q, Subquery

from revgraph.models.crm import Company, Contact
from revgraph.models.events import Event
from revgraph.models.pipeline import Deal
from revgraph.resolvers.context import Context
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.visibility import company_q, contact_q, scope_of

TIMELINE_ORDER = [SortKey("id", descending=True, kind="int")]


async def contact_timeline(
    ctx: Context, contact_id: int, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    """Events about the contact and about every contact merged into it (the
    log is never rewritten by a merge), newest first."""
    workspace_id = ctx.require_actor().workspace_id
    merged = await Contact.filter(workspace_id=workspace_id, merged_into_id=contact_id).values_list(
        "id", flat=True
    )
    return await paginate_for(
        ctx,
        Event.filter(workspace_id=workspace_id, contact_id__in=[contact_id, *merged]),
        TIMELINE_ORDER,
        first=first,
        after=after,
        with_total=with_total,
    )


async def deal_timeline(
    ctx: Context, deal_id: int, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    """Events about the deal (moves, changes, notes, tasks, assignments), newest first."""
    return await subject_timeline(ctx, first=first, after=after, with_total=with_total, deal_id=deal_id)


async def subject_timeline(
    ctx: Context, *, first: int | None, after: str | None, with_total: bool = False, **subject: int
) -> Page:
    """The events of the caller's workspace about one subject (`deal_id=`,
    `queue_id=`, `development_id=`: an indexed column of the log), newest
    first. The caller has checked the subject is visible."""
    workspace_id = ctx.require_actor().workspace_id
    return await paginate_for(
        ctx,
        Event.filter(workspace_id=workspace_id, **subject),
        TIMELINE_ORDER,
        first=first,
        after=after,
        with_total=with_total,
    )


async def get_timeline_event(ctx: Context, pk: int) -> Event | None:
    """An event the caller may see: through its contact (or the contact it
    was merged into), its deal or its company, or a development's change;
    other workspace-level events are ADMIN's."""
    scope = await scope_of(ctx)
    event = await Event.filter(id=pk, workspace_id=scope.workspace_id).first()
    if event is None or scope.everything:
        return event
    if event.contact_id is not None:
        merged_into = Contact.filter(id=event.contact_id).values("merged_into_id")
        about = Q(id=event.contact_id) | Q(id__in=Subquery(merged_into))
        if await Contact.filter(contact_q(scope), about).exists():
            return event
    if event.deal_id is not None:
        owners = await Deal.filter(id=event.deal_id).values_list("owner_id", flat=True)
        if owners and scope.sees_owner(owners[0]):
            return event
    if event.company_id is not None and await Company.filter(company_q(scope), id=event.company_id).exists():
        return event
    if event.development_id is not None:
        return event  # a development's changes: workspace setup that everyone reads
    return None
