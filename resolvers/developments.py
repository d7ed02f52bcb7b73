"""Empreendimentos (seed 002's "configurações dos empreendimentos"): the
projects a workspace sells. They are workspace setup: ADMIN creates,
changes and archives them; every member reads them, archived ones too
(the deals that name one keep it). Only a live development can be newly
linked (a deal's, a form's or a contact's interest); a link that already
names an archived one stays. Every change is an event on the log, on the
development's own timeline."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery

from revgraph.models.crm import Company
from revgraph.models.developments import Development, DevelopmentTypology
from revgraph.resolvers import filtering as f
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.i18n import N_, Listing, _
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.ownership import actor_name
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.timeline import subject_timeline
from revgraph.resolvers.validation import normalize_tags, optional_text, required_text, search_text
from revgraph.resolvers.visibility import named_record

STATUSES = ("PRE_LAUNCH", "LAUNCH", "UNDER_CONSTRUCTION", "READY", "SOLD_OUT")
# The 26 states and the Federal District.
STATES = (
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
    "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
)  # fmt: skip
POSTAL_CODE = re.compile(r"^(\d{5})-?(\d{3})$")
MAX_PRICE = Decimal("9999999999999999.99")
ORDER = [SortKey("name_search", kind="str"), SortKey("id", kind="int")]
TIMELINE_ORDER = [SortKey("id", descending=True, kind="int")]


def _has_all_typologies(names: Any) -> Q:
    return Q(
        *(
            Q(id__in=Subquery(DevelopmentTypology.filter(name=name).values("development_id")))
            for name in names or ()
        )
    )


DEVELOPMENT_FIELDS: f.FieldMap = {
    "name": f.FieldSpec("name", f.STRING),
    "status": f.FieldSpec("status", f.ONE_OF),
    "developer_id": f.FieldSpec("developer_id", f.ID, "Company"),
    "neighborhood": f.FieldSpec("neighborhood", f.STRING),
    "zone": f.FieldSpec("zone", f.STRING),
    "city": f.FieldSpec("city", f.STRING),
    "state": f.FieldSpec("state", f.STRING),
    "price_min": f.FieldSpec("price_min", f.DECIMAL),
    "price_max": f.FieldSpec("price_max", f.DECIMAL),
    "typologies": f.FieldSpec("typologies", "typologies", custom=_has_all_typologies),
    "created_at": f.FieldSpec("created_at", f.DATETIME),
    # At the top of a filter `archived: true` lists the archive instead.
    "archived": f.FieldSpec("archived_at", f.TRASHED),
}

# Input name -> (column, what a message calls it, most characters).
TEXTS = {
    "address": ("address", "Address", 300),
    "neighborhood": ("neighborhood", "Neighborhood", 100),
    "zone": ("zone", "Zone", 64),
    "city": ("city", "City", 100),
}
LABELS = {
    "name": N_("name"),
    "developerId": N_("developer"),
    "status": N_("status"),
    "address": N_("address"),
    "neighborhood": N_("neighborhood"),
    "zone": N_("zone"),
    "city": N_("city"),
    "state": N_("state"),
    "postalCode": N_("postal code"),
    "priceMin": N_("minimum price"),
    "priceMax": N_("maximum price"),
    "typologies": N_("typologies"),
}


# ------------------------------------------------------------------ reads


async def get_development(ctx: Context, pk: int) -> Development | None:
    """A development of the caller's workspace by primary key, archived or not."""
    actor = ctx.require_actor()
    return await Development.filter(id=pk, workspace_id=actor.workspace_id).first()


async def list_developments(
    ctx: Context,
    *,
    filter: Mapping[str, Any] | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    with_total: bool = False,
) -> Page:
    """The workspace's developments by name; archived ones only with
    `archived: true`. `search` matches name, neighborhood, zone or city,
    ignoring case."""
    actor = ctx.require_actor()
    check_filter(filter, DEVELOPMENT_FIELDS, ctx.settings.limits, ["filter"])
    text = search_text(search, ctx.settings.limits, ["search"]).lower()
    query = Development.filter(workspace_id=actor.workspace_id)
    if not filter or filter.get("archived") is None:
        query = query.filter(archived_at__isnull=True)
    query = query.filter(f.filter_q(filter, DEVELOPMENT_FIELDS))
    if text:
        query = query.filter(
            Q(name_search__contains=text)
            | Q(neighborhood__icontains=text)
            | Q(zone__icontains=text)
            | Q(city__icontains=text)
        )
    return await paginate_for(
        ctx, query, ORDER, first=first, after=after, last=last, before=before, with_total=with_total
    )


async def development_timeline(
    ctx: Context, development_id: int, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    """Changes to the development's configuration, newest first."""
    return await subject_timeline(
        ctx, first=first, after=after, with_total=with_total, development_id=development_id
    )


def developments(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(ctx, "developments", lambda ws: loaders.by_id(ws, Development))


def typologies(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(
        ctx,
        "development_typologies",
        lambda ws: loaders.grouped(ws, DevelopmentTypology, "development_id", "name"),
    )


# ------------------------------------------------------------------ links


async def development_ref(
    ctx: Context, raw: str | None, field: list[str], *, current: int | None = None
) -> int | None:
    """The development an input links to (None clears the link): a live one
    of the workspace, or the one the record already names, archived or not."""
    if raw is None:
        return None
    if current is not None and pk_of(raw, "Development") == current:
        return current
    return (await named_record(ctx, Development, raw, field)).id


async def live_development(workspace_id: int, ref: str | int, field: list[str]) -> Development:
    """A live development of the workspace named by global id or primary key,
    for captures, which may have no caller (a public form); NOT_FOUND otherwise."""
    pk = pk_of(ref, "Development") if isinstance(ref, str) else ref
    found = await Development.filter(id=pk or 0, workspace_id=workspace_id, archived_at=None).first()
    if found is None:
        raise NotFound(_("Development"), field)
    return found


# ------------------------------------------------------------------ writes


def _price(raw: Any, field: list[str]) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("INVALID", _('A price is a decimal number like "450000.00".'), field) from exc
    if not value.is_finite() or value < 0 or value > MAX_PRICE:
        raise DomainError("INVALID", _("A price is between 0 and {MAX_PRICE}.", MAX_PRICE=MAX_PRICE), field)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("INVALID", _("A price has at most 2 decimal places."), field)
    return value.quantize(Decimal("0.01"))


def _status(value: Any, field: list[str]) -> str:
    if value not in STATUSES:
        raise DomainError(
            "INVALID",
            _("Unknown status {value!r}: use {items}.", value=value, items=", ".join(STATUSES)),
            field,
        )
    return str(value)


def _state(value: str | None, field: list[str]) -> str | None:
    text = (value or "").strip().upper()
    if not text:
        return None
    if text not in STATES:
        raise DomainError("INVALID", _("State is a UF like SP or RJ, not {value!r}.", value=value), field)
    return text


def _postal_code(value: str | None, field: list[str]) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    match = POSTAL_CODE.match(text.replace(".", ""))
    if match is None:
        raise DomainError("INVALID", _('A CEP has 8 digits, e.g. "01310-100".'), field)
    return f"{match[1]}-{match[2]}"


def _snapshot(development: Development, typology_names: list[str]) -> dict[str, Any]:
    """The development as the API names its fields, for change records."""
    return {
        "name": development.name,
        "developerId": encode_id("Company", development.developer_id) if development.developer_id else None,
        "status": development.status,
        "address": development.address,
        "neighborhood": development.neighborhood,
        "zone": development.zone,
        "city": development.city,
        "state": development.state,
        "postalCode": development.postal_code,
        "priceMin": str(development.price_min) if development.price_min is not None else None,
        "priceMax": str(development.price_max) if development.price_max is not None else None,
        "typologies": list(typology_names),
    }


async def _apply(
    ctx: Context, development: Development, data: Mapping[str, Any], *, creating: bool
) -> list[str] | None:
    """Validate the fields sent and set them on the (unsaved) development;
    returns the new typologies when they were sent."""
    field = ["input"]
    if creating or "name" in data:
        name = required_text(data.get("name"), [*field, "name"], what=_("Development name"))
        development.name, development.name_search = name, name.lower()
    if creating or "status" in data:
        development.status = _status(data.get("status"), [*field, "status"])
    if "developer_id" in data:
        raw = data["developer_id"]
        if raw is None:
            development.developer_id = None
        elif pk_of(raw, "Company") != development.developer_id:
            company = await named_record(ctx, Company, raw, [*field, "developerId"])
            development.developer_id = company.id
    for name, (column, what, longest) in TEXTS.items():
        if name in data:
            value = optional_text(data[name], [*field, name], max_length=longest, what=what)
            setattr(development, column, value or None)
    if "state" in data:
        development.state = _state(data["state"], [*field, "state"])
    if "postal_code" in data:
        development.postal_code = _postal_code(data["postal_code"], [*field, "postalCode"])
    if "price_min" in data:
        development.price_min = _price(data["price_min"], [*field, "priceMin"])
    if "price_max" in data:
        development.price_max = _price(data["price_max"], [*field, "priceMax"])
    low, high = development.price_min, development.price_max
    if low is not None and high is not None and low > high:
        sent = "priceMin" if "price_min" in data else "priceMax"
        raise DomainError(
            "INVALID",
            _(
                "The price range is reversed: priceMin ({low}) is above priceMax ({high}).",
                low=low,
                high=high,
            ),
            [*field, sent],
        )
    if "typologies" in data:
        return normalize_tags(data["typologies"] or [], [*field, "typologies"], ctx.settings.limits)
    return None


async def _ensure_unique_name(development: Development, field: list[str]) -> None:
    others = Development.filter(
        workspace_id=development.workspace_id, name_search=development.name_search, archived_at=None
    )
    if development.id is not None:
        others = others.exclude(id=development.id)
    if await others.exists():
        raise DomainError(
            "DUPLICATE",
            _("A development named {development!r} already exists.", development=development.name),
            field,
        )


async def _replace_typologies(development: Development, old: list[str], new: list[str]) -> None:
    gone = [t for t in old if t not in new]
    if gone:
        await DevelopmentTypology.filter(development_id=development.id, name__in=gone).delete()
    added = [t for t in new if t not in old]
    if added:
        await DevelopmentTypology.bulk_create(
            [
                DevelopmentTypology(
                    workspace_id=development.workspace_id, development_id=development.id, name=t
                )
                for t in added
            ]
        )


async def typology_names(development_id: int) -> list[str]:
    return list(
        await DevelopmentTypology.filter(development_id=development_id)
        .order_by("id")
        .values_list("name", flat=True)
    )


async def create_development(ctx: Context, data: Mapping[str, Any]) -> Development:
    """ADMIN registers an empreendimento. Its name is unique among the
    workspace's live developments (DUPLICATE); the price range, when both
    ends are given, goes from low to high."""
    actor = ctx.require_admin()
    development = Development(workspace_id=actor.workspace_id)
    names = await _apply(ctx, development, data, creating=True) or []
    await _ensure_unique_name(development, ["input", "name"])
    try:
        async with unit_of_work():
            await development.save()
            await _replace_typologies(development, [], names)
            await record_event(
                actor,
                actor.workspace_id,
                "development.created",
                N_(
                    "{actor} registered the development {development}",
                    actor=await actor_name(ctx),
                    development=development.name,
                ),
                data={"development": _snapshot(development, names)},
                development_id=development.id,
            )
    except IntegrityError as error:
        raise DomainError(
            "DUPLICATE",
            _("A development named {development!r} already exists.", development=development.name),
            ["input", "name"],
        ) from error
    return development


async def update_development(ctx: Context, development_id: str, data: Mapping[str, Any]) -> Development:
    """ADMIN changes the fields sent (null clears an optional one); records
    `development.updated` with each changed field's from/to. An archived
    development is unarchived first."""
    actor = ctx.require_admin()
    development = await named_record(ctx, Development, development_id, ["id"], live=False)
    if development.archived_at is not None:
        raise DomainError("RULE_VIOLATION", _("This development is archived; unarchive it first."), ["id"])
    old_names = await typology_names(development.id)
    before = _snapshot(development, old_names)
    names = await _apply(ctx, development, data, creating=False)
    after = _snapshot(development, old_names if names is None else names)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if after[k] != before[k]}
    if not changes:
        return development
    if "name" in changes:
        await _ensure_unique_name(development, ["input", "name"])
    try:
        async with unit_of_work():
            await development.save()
            if "typologies" in changes:
                await _replace_typologies(development, old_names, after["typologies"])
            await record_event(
                actor,
                actor.workspace_id,
                "development.updated",
                N_(
                    "{actor} changed {items} of {development}",
                    actor=await actor_name(ctx),
                    items=Listing(LABELS[k] for k in changes),
                    development=development.name,
                ),
                data={"changes": changes},
                development_id=development.id,
            )
    except IntegrityError as error:
        raise DomainError(
            "DUPLICATE",
            _("A development named {development!r} already exists.", development=development.name),
            ["input", "name"],
        ) from error
    return development


async def set_development_archived(ctx: Context, development_id: str, *, archived: bool) -> Development:
    """ADMIN archives a development (it leaves the lists and can no longer be
    newly linked; deals, forms and interests that name it keep it) or brings
    it back, unless a live development took its name meanwhile (DUPLICATE).
    Repeating either is a no-op without an event."""
    actor = ctx.require_admin()
    development = await named_record(ctx, Development, development_id, ["id"], live=False)
    if (development.archived_at is not None) == archived:
        return development
    if not archived:
        await _ensure_unique_name(development, ["id"])
    try:
        async with unit_of_work():
            development.archived_at = datetime.now(UTC) if archived else None
            await development.save(update_fields=["archived_at", "updated_at"])
            verb = "archived" if archived else "unarchived"
            await record_event(
                actor,
                actor.workspace_id,
                f"development.{verb}",
                N_(
                    "{actor} {verb} the development {development}",
                    actor=await actor_name(ctx),
                    verb=N_("archived") if archived else N_("unarchived"),
                    development=development.name,
                ),
                development_id=development.id,
            )
    except IntegrityError as error:
        raise DomainError(
            "DUPLICATE",
            _("A development named {development!r} already exists.", development=development.name),
            ["id"],
        ) from error
    return development
