"""Saved contact lists ("segments"): a name, a ContactFilter and search text,
evaluated whenever they are used and under the visibility of whoever uses
them (an agent's view of a segment holds only what they may see). Managers
and admins keep them; everyone in the workspace reads them. Seed 002's
"oferta ativa" distributes one through a queue (distribution/bulk.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import QuerySet

from revgraph.models.crm import Segment
from revgraph.resolvers.contact_queries import contact_fields, matching_contacts, sort_keys
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.filtering import stored_filter
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.validation import required_text, search_text
from revgraph.resolvers.visibility import named_record

SEGMENT_ORDER = [SortKey("id", kind="int")]


async def _definition(ctx: Context, values: dict[str, Any], current: Segment | None) -> dict[str, Any]:
    """The columns the input sets, checked like a list's filter and search."""
    read: dict[str, Any] = {}
    if values.get("name") is not None or current is None:
        read["name"] = required_text(values.get("name"), ["input", "name"], what=_("Segment name"))
    if "filter" in values or current is None:
        conditions = values.get("filter") or {}
        check_filter(
            conditions, await contact_fields(ctx, conditions), ctx.settings.limits, ["input", "filter"]
        )
        if conditions.get("deleted"):
            raise DomainError(
                "INVALID", _("A segment selects live contacts, not the trash."), ["input", "filter"]
            )
        read["conditions"] = stored_filter(conditions)
    if "search" in values or current is None:
        read["search"] = search_text(values.get("search"), ctx.settings.limits, ["input", "search"]) or None
    return read


async def _name_free(workspace_id: int, name: str, segment_id: int | None) -> None:
    taken = Segment.filter(workspace_id=workspace_id, name=name, archived_at=None)
    if segment_id is not None:
        taken = taken.exclude(id=segment_id)
    if await taken.exists():
        raise DomainError(
            "DUPLICATE", _("A segment named {name!r} already exists.", name=name), ["input", "name"]
        )


async def create_segment(ctx: Context, values: dict[str, Any]) -> Segment:
    """A manager or admin saves a contact list."""
    actor = ctx.require_manager()
    read = await _definition(ctx, values, None)
    await _name_free(actor.workspace_id, read["name"], None)
    async with unit_of_work():
        segment = await Segment.create(workspace_id=actor.workspace_id, created_by_id=actor.user_id, **read)
        await record_event(
            actor,
            actor.workspace_id,
            "segment.created",
            N_("Segment {segment} saved", segment=segment.name),
            data={"segmentId": segment.id, "filter": segment.conditions, "search": segment.search},
        )
    return segment


async def update_segment(ctx: Context, segment_id: str, values: dict[str, Any]) -> Segment:
    """Change a segment's name, filter or search; no change, no event."""
    actor = ctx.require_manager()
    segment = await named_record(ctx, Segment, segment_id, ["id"])
    read = await _definition(ctx, values, segment)
    changes = {k: {"from": getattr(segment, k), "to": v} for k, v in read.items() if getattr(segment, k) != v}
    if not changes:
        return segment
    if "name" in changes:
        await _name_free(actor.workspace_id, read["name"], segment.id)
    async with unit_of_work():
        await Segment.filter(id=segment.id).update(**{k: c["to"] for k, c in changes.items()})
        await record_event(
            actor,
            actor.workspace_id,
            "segment.updated",
            N_(
                "Segment {get} changed: {items}",
                get=read.get("name", segment.name),
                items=", ".join(sorted(changes)),
            ),
            data={"segmentId": segment.id, "changes": changes},
        )
    return await Segment.get(id=segment.id)


async def archive_segment(ctx: Context, segment_id: str) -> Segment:
    """Retire a segment: it leaves the list; its distributions stay."""
    actor = ctx.require_manager()
    segment = await named_record(ctx, Segment, segment_id, ["id"])
    async with unit_of_work():
        segment.archived_at = datetime.now(UTC)
        await segment.save(update_fields=["archived_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "segment.archived",
            N_("Segment {segment} archived", segment=segment.name),
            data={"segmentId": segment.id},
        )
    return segment


async def list_segments(
    ctx: Context, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    actor = ctx.require_actor()
    query = Segment.filter(workspace_id=actor.workspace_id, archived_at=None)
    return await paginate_for(ctx, query, SEGMENT_ORDER, first=first, after=after, with_total=with_total)


async def get_segment(ctx: Context, pk: int) -> Segment | None:
    actor = ctx.require_actor()
    return await Segment.filter(id=pk, workspace_id=actor.workspace_id).first()


async def segment_members(ctx: Context, segment: Segment) -> QuerySet:
    """The live contacts the segment selects that the caller may see."""
    fields = await contact_fields(ctx, segment.conditions)
    return await matching_contacts(ctx, segment.conditions, segment.search, fields)


async def segment_contacts(
    ctx: Context, segment: Segment, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    """A page of them, newest first (as the contacts list)."""
    query = await segment_members(ctx, segment)
    return await paginate_for(ctx, query, sort_keys(None), first=first, after=after, with_total=with_total)
