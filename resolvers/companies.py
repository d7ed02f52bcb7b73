"""Companies (accounts): visible by owner like contacts, soft-deleted."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from revgraph.models.crm import Company
from revgraph.resolvers import filtering as f
from revgraph.resolvers.bulk_insert import insert_returning_ids
from revgraph.resolvers.context import Context
from revgraph.resolvers.custom_fields.filters import with_custom_fields
from revgraph.resolvers.custom_fields.values import custom_fields_input, definitions_for
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, record_events, unit_of_work
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.ownership import actor_name, assignable_user, default_owner
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.validation import required_text, search_text
from revgraph.resolvers.visibility import check_may_change_company, named_record, scope_of, visible_q

COMPANY_FIELDS: f.FieldMap = {
    "name": f.FieldSpec("name", f.STRING),
    "domain": f.FieldSpec("domain", f.STRING),
    "deleted": f.FieldSpec("deleted_at", f.TRASHED),
}
COMPANY_ORDER = [SortKey("name", kind="str"), SortKey("id", kind="int")]
# A host name: labels of letters, digits and hyphens joined by dots.
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


async def visible_companies(ctx: Context) -> QuerySet:
    """Every company the caller may see, trashed ones included."""
    return Company.filter(visible_q(await scope_of(ctx), Company))


async def get_company(ctx: Context, pk: int) -> Company | None:
    """A visible company by primary key, trashed or not."""
    return await (await visible_companies(ctx)).filter(id=pk).first()


async def find_company(
    ctx: Context, company_id: str | None, field: list[str], *, live: bool = True
) -> Company:
    """A visible company named by a global id (trashed too unless `live`),
    or NOT_FOUND on `field`."""
    return await named_record(ctx, Company, company_id, field, live=live)


async def company_ref(ctx: Context, company_id: str | None, field: list[str]) -> int | None:
    """The pk of a live company the caller may see (None clears the link)."""
    if company_id is None:
        return None
    return (await find_company(ctx, company_id, field)).id


async def list_companies(
    ctx: Context,
    *,
    filter: Mapping[str, Any] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    with_total: bool = False,
) -> Page:
    """Visible companies by name; `search` matches name or domain, ignoring case."""
    fields = await with_custom_fields(COMPANY_FIELDS, ctx.require_actor().workspace_id, "COMPANY", filter)
    check_filter(filter, fields, ctx.settings.limits, ["filter"])
    text = search_text(search, ctx.settings.limits, ["search"])
    query = await visible_companies(ctx)
    if not filter or filter.get("deleted") is None:
        query = query.filter(deleted_at__isnull=True)
    query = query.filter(f.filter_q(filter, fields))
    if text:
        query = query.filter(Q(name__icontains=text) | Q(domain__icontains=text))
    return await paginate_for(
        ctx,
        query,
        COMPANY_ORDER,
        first=first,
        after=after,
        with_total=with_total,
        as_rows=True,
    )


def normalize_domain(value: str | None) -> str | None:
    """A website or domain as the host name companies store (lower case,
    no scheme, path or "www."); None when blank; INVALID otherwise."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0]
    text = text.removeprefix("www.")
    if not DOMAIN_RE.match(text):
        raise DomainError(
            "INVALID", _("Not a domain name: {value!r} (e.g. acme.com.br).", value=value), ["input", "domain"]
        )
    return text


def _snapshot(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "domain": company.domain,
        "ownerId": encode_id("User", company.owner_id) if company.owner_id else None,
        "customFields": dict(company.custom_fields or {}),
    }


async def create_company(ctx: Context, data: Mapping[str, Any]) -> Company:
    """Create a company; an AGENT's company is theirs by default, like contacts."""
    (created,) = await create_companies(ctx, [data])
    if isinstance(created, DomainError):
        raise created
    return created


async def create_companies(ctx: Context, inputs: Sequence[Mapping[str, Any]]) -> list[Company | DomainError]:
    """create_company for several inputs (createCompany sends one; an
    import, a batch of rows): each input is checked on its own and answered
    with its company or the DomainError create_company raises for it, in
    order. The accepted ones are written together: one INSERT for the
    companies and one for their `company.created` events, in the caller's
    unit of work if there is one. The custom field definitions are read
    once, and each owner named once however many inputs name it."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    definitions = await definitions_for(actor.workspace_id, "COMPANY")
    owners: dict[str | None, int | DomainError | None] = {}
    out: list[Company | DomainError] = []
    fresh: list[Company] = []
    for data in inputs:
        try:
            company = Company(
                workspace_id=actor.workspace_id,
                name=required_text(data.get("name"), ["input", "name"]),
                domain=normalize_domain(data.get("domain")),
            )
            company.custom_fields = await custom_fields_input(
                actor.workspace_id,
                "COMPANY",
                data.get("custom_fields"),
                ["input", "customFields"],
                ctx.settings.limits,
                creating=True,
                definitions=definitions,
            )
            if data.get("owner_id") is not None:
                owner = data["owner_id"]
                if owner not in owners:
                    try:
                        owners[owner] = await assignable_user(ctx, scope, owner, ["input", "ownerId"])
                    except DomainError as refused:
                        owners[owner] = refused
                found = owners[owner]
                if isinstance(found, DomainError):
                    raise found
                company.owner_id = found
            else:
                company.owner_id = default_owner(ctx)
        except DomainError as error:
            out.append(error)
            continue
        fresh.append(company)
        out.append(company)
    if not fresh:
        return out
    async with unit_of_work():
        await insert_returning_ids(fresh)
        name = await actor_name(ctx)
        await record_events(
            actor,
            actor.workspace_id,
            [
                {
                    "kind": "company.created",
                    "summary": N_("{actor} created company {company}", actor=name, company=company.name),
                    "data": {"company": _snapshot(company)},
                    "company_id": company.id,
                }
                for company in fresh
            ],
        )
    return out


async def update_company(ctx: Context, company_id: str, data: Mapping[str, Any]) -> Company:
    """Change the fields sent; records `company.updated` with from/to per field."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    company = await find_company(ctx, company_id, ["id"], live=False)
    await check_may_change_company(ctx, company, ["id"])
    if company.deleted_at is not None:
        raise DomainError("RULE_VIOLATION", _("This company is in the trash; restore it first."), ["id"])
    before = _snapshot(company)
    if "name" in data:
        company.name = required_text(data["name"], ["input", "name"])
    if "domain" in data:
        company.domain = normalize_domain(data["domain"])
    if "owner_id" in data and data["owner_id"] != before["ownerId"]:
        company.owner_id = await assignable_user(ctx, scope, data["owner_id"], ["input", "ownerId"])
    if "custom_fields" in data:
        company.custom_fields = await custom_fields_input(
            actor.workspace_id,
            "COMPANY",
            data["custom_fields"],
            ["input", "customFields"],
            ctx.settings.limits,
            stored=company.custom_fields,
        )
    after = _snapshot(company)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if after[k] != before[k]}
    if changes:
        async with unit_of_work():
            await company.save()
            await record_event(
                actor,
                actor.workspace_id,
                "company.updated",
                N_(
                    "{actor} changed {items} of {company}",
                    actor=await actor_name(ctx),
                    items=", ".join(changes),
                    company=company.name,
                ),
                data={"changes": changes},
                company_id=company.id,
            )
    return company


async def set_company_trashed(ctx: Context, company_id: str, *, trashed: bool) -> Company:
    """Trash (or restore) a company; its contacts keep the link. Repeating
    either is a no-op without an event."""
    actor = ctx.require_actor()
    company = await find_company(ctx, company_id, ["id"], live=False)
    await check_may_change_company(ctx, company, ["id"])
    if (company.deleted_at is not None) == trashed:
        return company
    async with unit_of_work():
        company.deleted_at = datetime.now(UTC) if trashed else None
        await company.save(update_fields=["deleted_at", "updated_at"])
        summary = (
            N_("{actor} moved {company} to the trash")
            if trashed
            else N_("{actor} restored {company} from the trash")
        )
        await record_event(
            actor,
            actor.workspace_id,
            "company.deleted" if trashed else "company.restored",
            N_(summary.msgid, actor=await actor_name(ctx), company=company.name),
            company_id=company.id,
        )
    return company
