"""GraphQL surface of developments (empreendimentos) and of contacts'
interests in them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info
from tortoise.expressions import Q

from revgraph.resolvers import contact_interests, contact_queries, deal_queries, developments, loaders
from revgraph.resolvers.contact_interests import MAX_INTERESTS
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.visibility import sees_company
from revgraph.schema.activities import TimelineConnection, timeline_page
from revgraph.schema.common import (
    FILTER_LIMITS,
    SEARCH_LIMIT,
    TAG_LIMITS,
    DateTimeFilter,
    DecimalFilter,
    IDFilter,
    Node,
    StringFilter,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    payload_mutation,
    query,
    selects,
)
from revgraph.schema.companies import Company
from revgraph.schema.connections import Connection, build
from revgraph.schema.contacts import ContactConnection, ContactPayload, contact_connection
from revgraph.schema.deals import DealConnection, deal_connection
from revgraph.schema.permissions import ADMIN, AUTHENTICATED

PAGE_ARGS = "`first` defaults to 50 and may be at most 100 (more is LIMIT_EXCEEDED)."
PRICE = 'In the workspace\'s currency (BRL by default), exact, 2 decimals, e.g. "450000.00".'


@strawberry.enum(description="Where an empreendimento is in its sales life.")
class DevelopmentStatus(Enum):
    PRE_LAUNCH = strawberry.enum_value("PRE_LAUNCH", description="Pré-lançamento: not yet on sale.")
    LAUNCH = strawberry.enum_value("LAUNCH", description="Lançamento: just put on sale.")
    UNDER_CONSTRUCTION = strawberry.enum_value("UNDER_CONSTRUCTION", description="Em obras.")
    READY = strawberry.enum_value("READY", description="Pronto para morar.")
    SOLD_OUT = strawberry.enum_value("SOLD_OUT", description="Vendido (100% sold).")


@strawberry.type(
    description=(
        'An empreendimento: a real-estate project the workspace sells — the "empreendimento de interesse" '
        "of deals and contacts. Workspace setup: every member reads every development, archived ones "
        "too; ADMIN creates, changes and archives them."
    )
)
class Development(Node):
    name: str = strawberry.field(description="Name; unique among the workspace's live developments.")
    status: DevelopmentStatus = strawberry.field(description="Sales status.")
    address: str | None = strawberry.field(description='Street address, e.g. "Rua Afonso Brás, 900".')
    neighborhood: str | None = strawberry.field(description='Bairro, e.g. "Moema".')
    zone: str | None = strawberry.field(description='Region of the city, e.g. "Zona Sul".')
    city: str | None = strawberry.field(description="Cidade.")
    state: str | None = strawberry.field(description='UF, two letters, e.g. "SP".')
    postal_code: str | None = strawberry.field(description='CEP, e.g. "04511-001".')
    price_min: Decimal | None = strawberry.field(description=f"Lowest unit price. {PRICE}")
    price_max: Decimal | None = strawberry.field(description=f"Highest unit price. {PRICE}")
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    archived_at: datetime | None = strawberry.field(
        description="When it was archived (out of the lists, no new links); null while live."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description='Typologies, in the order given, e.g. ["2 quartos", "cobertura"].')
    async def typologies(self, info: Info) -> list[str]:
        return list(await developments.typologies(ctx_of(info)).load(self.row.id))

    @strawberry.field(
        description="The developer (construtora/incorporadora). Everyone in the workspace sees the developer of a live development; of an archived one, whoever may see that company. Null if none, trashed or not visible."
    )
    async def developer(self, info: Info) -> Company | None:
        if self.row.developer_id is None:
            return None
        ctx = ctx_of(info)
        row = await loaders.companies(ctx).load(self.row.developer_id)
        if row is None or row.deleted_at is not None or not await sees_company(ctx, row):
            return None
        return Company.of(row)

    @strawberry.field(
        description=f"Live deals of this development that the caller may see, newest first. {PAGE_ARGS}"
    )
    async def deals(self, info: Info, first: int | None = None, after: str | None = None) -> DealConnection:
        page = await query(
            deal_queries.list_deals(
                ctx_of(info),
                first=first,
                after=after,
                extra=Q(development_id=self.row.id),
                with_total=selects(info, "totalCount"),
            )
        )
        return await deal_connection(info, page)

    @strawberry.field(
        description=f"Live contacts interested in this development that the caller may see, newest first. {PAGE_ARGS}"
    )
    async def interested_contacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ContactConnection:
        page = await query(
            contact_queries.list_contacts(
                ctx_of(info),
                filter={"interested_in": [encode_id("Development", self.row.id)]},
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        return await contact_connection(info, page)

    @strawberry.field(description=f"Changes to the development's configuration, newest first. {PAGE_ARGS}")
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> TimelineConnection:
        page = await query(
            developments.development_timeline(
                ctx_of(info), self.row.id, first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return await timeline_page(info, page)

    @classmethod
    def of(cls, row: Any) -> Development:
        return cls(
            id=strawberry.ID(encode_id("Development", row.id)),
            name=row.name,
            status=DevelopmentStatus(row.status),
            address=row.address,
            neighborhood=row.neighborhood,
            zone=row.zone,
            city=row.city,
            state=row.state,
            postal_code=row.postal_code,
            price_min=_money(row.price_min),
            price_max=_money(row.price_max),
            created_at=row.created_at,
            updated_at=row.updated_at,
            archived_at=row.archived_at,
            row=row,
        )


def _money(value: Any) -> Decimal | None:
    return Decimal(value).quantize(Decimal("0.01")) if value is not None else None


@strawberry.type(name="DevelopmentConnection", description="A page of developments.")
class DevelopmentConnection(Connection[Development]):
    pass


async def development_of(ctx: Context, development_id: int | None) -> Development | None:
    """The development a record links to (archived ones too), batched per request."""
    if development_id is None:
        return None
    row = await developments.developments(ctx).load(development_id)
    return Development.of(row) if row else None


async def interests_of(info: Info, contact_id: int) -> list[Development]:
    """A contact's developments of interest, in the order they were added."""
    ctx = ctx_of(info)
    ids = await contact_interests.interests_of(ctx).load(contact_id)
    rows = await developments.developments(ctx).load_many(ids)
    return [Development.of(r) for r in rows if r is not None]


@strawberry.input(
    description="Which developments to list: every field given must hold; combine with and/or/not. Archived ones are left out unless `archived` is true. "
    + FILTER_LIMITS
)
class DevelopmentFilter:
    and_: list[DevelopmentFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these hold."
    )
    or_: list[DevelopmentFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="At least one of these holds."
    )
    not_: DevelopmentFilter | None = strawberry.field(
        name="not", default=strawberry.UNSET, description="This does not hold."
    )
    name: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    status: list[DevelopmentStatus] | None = strawberry.field(
        default=strawberry.UNSET, description="In one of these statuses."
    )
    developer_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Developer (a Company id)."
    )
    neighborhood: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Bairro.")
    zone: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Zone of the city.")
    city: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="City.")
    state: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="UF.")
    price_min: DecimalFilter | None = strawberry.field(
        default=strawberry.UNSET,
        description="Lowest unit price (a budget of X: `priceMin: {lte: X}`); developments without one do not match.",
    )
    price_max: DecimalFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Highest unit price; developments without one do not match."
    )
    typologies: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Has all of these typologies."
    )
    created_at: DateTimeFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Registration time."
    )
    archived: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: only archived; false or absent: only live ones."
    )


@strawberry.input(description="A new development. ADMIN only.")
class DevelopmentInput:
    name: str = strawberry.field(
        description="Name; not blank, at most 200 characters, unique among live developments (DUPLICATE)."
    )
    status: DevelopmentStatus = strawberry.field(description="Sales status.")
    developer_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The developer company (construtora), a live one."
    )
    address: str | None = strawberry.field(default=strawberry.UNSET, description="Street address (≤ 300).")
    neighborhood: str | None = strawberry.field(default=strawberry.UNSET, description="Bairro (≤ 100).")
    zone: str | None = strawberry.field(default=strawberry.UNSET, description='Zone, e.g. "Zona Sul" (≤ 64).')
    city: str | None = strawberry.field(default=strawberry.UNSET, description="City (≤ 100).")
    state: str | None = strawberry.field(default=strawberry.UNSET, description='UF, e.g. "SP" (any case).')
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description='CEP, 8 digits: "04511001" is stored as "04511-001".'
    )
    price_min: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description=f"Lowest unit price, ≤ priceMax. {PRICE}"
    )
    price_max: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description=f"Highest unit price, ≥ priceMin. {PRICE}"
    )
    typologies: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=f'Typologies, e.g. ["2 quartos", "cobertura"]. {TAG_LIMITS}'
    )


@strawberry.input(
    description="Changes to a development: only the fields sent change; null clears an optional one."
)
class DevelopmentUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name; cannot be cleared.")
    status: DevelopmentStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Sales status; cannot be cleared."
    )
    developer_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The developer company."
    )
    address: str | None = strawberry.field(default=strawberry.UNSET, description="Street address.")
    neighborhood: str | None = strawberry.field(default=strawberry.UNSET, description="Bairro.")
    zone: str | None = strawberry.field(default=strawberry.UNSET, description="Zone of the city.")
    city: str | None = strawberry.field(default=strawberry.UNSET, description="City.")
    state: str | None = strawberry.field(default=strawberry.UNSET, description="UF.")
    postal_code: str | None = strawberry.field(default=strawberry.UNSET, description="CEP.")
    price_min: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description=f"Lowest unit price. {PRICE}"
    )
    price_max: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description=f"Highest unit price. {PRICE}"
    )
    typologies: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=f"The whole new list of typologies. {TAG_LIMITS}"
    )


@strawberry.type(description="Result of a development mutation.")
class DevelopmentPayload:
    development: Development | None = strawberry.field(
        default=None, description="The development as changed."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class DevelopmentsQuery:
    @strawberry.field(
        description=f"The workspace's developments, by name; every member reads them. `search`: case-insensitive substring of name, neighborhood, zone or city; {SEARCH_LIMIT} {PAGE_ARGS}",
        permission_classes=AUTHENTICATED,
    )
    async def developments(
        self,
        info: Info,
        filter: DevelopmentFilter | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DevelopmentConnection:
        page = await query(
            developments.list_developments(
                ctx_of(info),
                filter=input_dict(filter),
                search=search,
                first=first,
                after=after,
                last=last,
                before=before,
                with_total=selects(info, "totalCount"),
            )
        )
        return build(DevelopmentConnection, page, Development.of)

    @strawberry.field(
        description="A development by id, archived ones too; null if missing or of another workspace.",
        permission_classes=AUTHENTICATED,
    )
    async def development(self, info: Info, id: strawberry.ID) -> Development | None:
        pk = pk_of(id, "Development")
        row = await query(developments.get_development(ctx_of(info), pk)) if pk is not None else None
        return Development.of(row) if row else None


_development_mutation = payload_mutation(DevelopmentPayload, "development", Development.of)


def _interest_mutation(use_case: Any) -> Any:
    async def run(info: Info, *args: Any) -> ContactPayload:
        from revgraph.schema.contacts import Contact

        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"contact": Contact.of(await use_case(ctx, *args))}

        return await mutate(ContactPayload, work)

    return run


@strawberry.type
class DevelopmentsMutation:
    @strawberry.mutation(description="Register a development. ADMIN only.", permission_classes=ADMIN)
    async def create_development(self, info: Info, input: DevelopmentInput) -> DevelopmentPayload:
        return await _development_mutation(developments.create_development)(info, input_dict(input))

    @strawberry.mutation(
        description="Change a live development; records development.updated with each changed field. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def update_development(
        self, info: Info, id: strawberry.ID, input: DevelopmentUpdateInput
    ) -> DevelopmentPayload:
        return await _development_mutation(developments.update_development)(info, id, input_dict(input))

    @strawberry.mutation(
        description="Archive a development: it leaves the lists and cannot be newly linked; deals, forms and contacts that name it keep it. ADMIN only.",
        permission_classes=ADMIN,
    )
    async def archive_development(self, info: Info, id: strawberry.ID) -> DevelopmentPayload:
        return await _development_mutation(developments.set_development_archived, archived=True)(info, id)

    @strawberry.mutation(
        description="Bring an archived development back (DUPLICATE if a live one took its name). ADMIN only.",
        permission_classes=ADMIN,
    )
    async def unarchive_development(self, info: Info, id: strawberry.ID) -> DevelopmentPayload:
        return await _development_mutation(developments.set_development_archived, archived=False)(info, id)

    @strawberry.mutation(
        description=f"Replace the developments a contact the caller can see is interested in (an empty list clears them; at most {MAX_INTERESTS}). A development newly named must be live.",
        permission_classes=AUTHENTICATED,
    )
    async def set_contact_interests(
        self, info: Info, contact_id: strawberry.ID, development_ids: list[strawberry.ID]
    ) -> ContactPayload:
        return await _interest_mutation(contact_interests.set_contact_interests)(
            info, contact_id, list(development_ids)
        )

    @strawberry.mutation(
        description="Add a live development to a contact's interests (already there: no change).",
        permission_classes=AUTHENTICATED,
    )
    async def add_contact_interest(
        self, info: Info, contact_id: strawberry.ID, development_id: strawberry.ID
    ) -> ContactPayload:
        return await _interest_mutation(contact_interests.add_contact_interest)(
            info, contact_id, development_id
        )

    @strawberry.mutation(
        description="Remove a development from a contact's interests (not there: no change).",
        permission_classes=AUTHENTICATED,
    )
    async def remove_contact_interest(
        self, info: Info, contact_id: strawberry.ID, development_id: strawberry.ID
    ) -> ContactPayload:
        return await _interest_mutation(contact_interests.remove_contact_interest)(
            info, contact_id, development_id
        )
