"""Reading contacts: lists with the filter language, search and keyset
ordering (the writes are in contacts.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from revgraph.models.crm import Company, ContactTag
from revgraph.models.developments import ContactInterest
from revgraph.models.identity import User
from revgraph.resolvers import filtering as f
from revgraph.resolvers.contacts import visible_contacts
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.filters import with_custom_fields
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.numbering import or_number
from revgraph.resolvers.pagination import Page, SortKey, order_keys, paginate_for
from revgraph.resolvers.read_rows import Join, joins_for
from revgraph.resolvers.validation import search_text

# A search with at least this many digits also looks in phone numbers, so
# "2024" finds names but not every phone containing a 2.
PHONE_SEARCH_MIN_DIGITS = 3


def _has_all_tags(tags: Any) -> Q:
    return Q(*(Q(id__in=Subquery(ContactTag.filter(name=tag).values("contact_id"))) for tag in tags or ()))


def _development_pks(ids: Any) -> set[int]:
    return {pk for pk in (pk_of(i, "Development") if isinstance(i, str) else i for i in ids or ()) if pk}


def _interested_in_any(ids: Any) -> Q:
    if not ids:
        return Q()  # an empty list constrains nothing, like `tags: []`
    interested = ContactInterest.filter(development_id__in=list(_development_pks(ids)))
    return Q(id__in=Subquery(interested.values("contact_id")))


def _interest_matches(wanted: Any, have: Any) -> bool:
    return not wanted or bool(_development_pks(wanted) & _development_pks(have))


CONTACT_FIELDS: f.FieldMap = {
    "name": f.FieldSpec("name", f.STRING),
    "email": f.FieldSpec("email", f.STRING),
    "phone": f.FieldSpec("phone", f.STRING),
    "source": f.FieldSpec("source", f.STRING),
    "owner_id": f.FieldSpec("owner_id", f.ID, "User"),
    "company_id": f.FieldSpec("company_id", f.ID, "Company"),
    # Interested in any of these developments (ids; in Python: their pks).
    "interested_in": f.FieldSpec(
        "interested_in", "interests", custom=_interested_in_any, evaluate=_interest_matches
    ),
    "lifecycle_stage": f.FieldSpec("lifecycle_stage", f.ONE_OF),
    "tags": f.FieldSpec(
        "tags",
        "tags",
        custom=_has_all_tags,
        evaluate=lambda wanted, have: set(wanted or ()) <= set(have or ()),
    ),
    "score": f.FieldSpec("score", f.INT),
    "number": f.FieldSpec("number", f.INT),
    "created_at": f.FieldSpec("created_at", f.DATETIME),
    "deleted": f.FieldSpec("deleted_at", f.TRASHED),
}

ORDER_KEYS = {
    "NAME": ("name_search", "str"),
    "CREATED_AT": ("created_at", "datetime"),
    "UPDATED_AT": ("updated_at", "datetime"),
    "SCORE": ("score", "int"),
}
DEFAULT_ORDER = [{"field": "CREATED_AT", "direction": "DESC"}]

# What a listed contact may show read in its page's statement
# (read_rows.Join): the records it points to, by name, model and column.
CONTACT_EDGES = {
    "owner": (User, "owner_id"),
    "company": (Company, "company_id"),
}


def contact_joins(shown: Mapping[str, tuple[str, ...] | None]) -> tuple[Join, ...]:
    """The joins of a contacts page for what its contacts show: edge name
    -> the columns shown of its record (None: every column)."""
    return joins_for(CONTACT_EDGES, shown)


def sort_keys(order_by: list[Mapping[str, str]] | None) -> list[SortKey]:
    """The keyset for `orderBy`, always ending with id so it is total."""
    return order_keys(order_by, ORDER_KEYS, DEFAULT_ORDER)[0]


def search_q(search: str | None) -> Q:
    """Case-insensitive substring of name or e-mail, (3+ digits) of the
    phone, or the lead's number itself ("123" or "#123")."""
    text = (search or "").strip().lower()
    if not text:
        return Q()
    q = or_number(Q(name_search__contains=text) | Q(email__contains=text), text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= PHONE_SEARCH_MIN_DIGITS:
        q |= Q(phone_digits__contains=digits)
    return q


async def contact_fields(ctx: Context, filter: Mapping[str, Any] | None) -> f.FieldMap:
    """The contact filter fields, with the workspace's custom fields when
    the filter names one."""
    return await with_custom_fields(CONTACT_FIELDS, ctx.require_actor().workspace_id, "CONTACT", filter)


async def matching_contacts(
    ctx: Context, filter: Mapping[str, Any] | None, search: str | None, fields: f.FieldMap
) -> QuerySet:
    """The visible contacts a (checked) filter and search select; trashed
    ones only with `deleted: true`."""
    query = await visible_contacts(ctx)
    if not filter or filter.get("deleted") is None:
        query = query.filter(deleted_at__isnull=True)
    return query.filter(f.filter_q(filter, fields) & search_q(search))


async def list_contacts(
    ctx: Context,
    *,
    filter: Mapping[str, Any] | None = None,
    order_by: list[Mapping[str, str]] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    with_total: bool = False,
    joins: tuple[Join, ...] = (),
) -> Page:
    """Visible contacts matching filter and search; trashed ones only with
    `deleted: true`. Default order: newest first. `joins`: the records the
    contacts show, read with them (`contact_joins`)."""
    fields = await contact_fields(ctx, filter)
    check_filter(filter, fields, ctx.settings.limits, ["filter"])
    search = search_text(search, ctx.settings.limits, ["search"])
    query = await matching_contacts(ctx, filter, search, fields)
    return await paginate_for(
        ctx,
        query,
        sort_keys(order_by),
        first=first,
        after=after,
        last=last,
        before=before,
        with_total=with_total,
        as_rows=True,
        joins=joins,
    )


async def company_contacts(
    ctx: Context,
    company_id: int,
    *,
    first: int | None,
    after: str | None,
    with_total: bool = False,
    joins: tuple[Join, ...] = (),
) -> Page:
    """The live contacts of a company that the caller may see, newest first
    (`joins`: as `list_contacts`)."""
    query = (await visible_contacts(ctx)).filter(company_id=company_id, deleted_at__isnull=True)
    return await paginate_for(
        ctx,
        query,
        sort_keys(None),
        first=first,
        after=after,
        with_total=with_total,
        as_rows=True,
        joins=joins,
    )
