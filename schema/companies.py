"""GraphQL surface of companies (accounts)."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import companies, contact_queries, loaders
from revgraph.resolvers.ids import encode_id, pk_of, row_id
from revgraph.schema.common import (
    CUSTOM_FIELDS_LIMITS,
    FILTER_LIMITS,
    SEARCH_LIMIT,
    DeletePayload,
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
from revgraph.schema.connections import Ahead, Connection, build, preload_page
from revgraph.schema.custom_fields import CUSTOM_FIELD_FILTER_HELP, CUSTOM_FIELDS_HELP, CustomFieldFilter
from revgraph.schema.identity import User
from revgraph.schema.lean_execution import Preload, fields_from_row
from revgraph.schema.permissions import AUTHENTICATED

if TYPE_CHECKING:
    from revgraph.schema.contacts import ContactConnection
    from revgraph.schema.deals import DealConnection

LazyContactConnection = Annotated["ContactConnection", strawberry.lazy("revgraph.schema.contacts")]


# A listed company's owner, over its page's preload (schema/lean_execution.py `Preload`).
_OWNER = Preload(loaders.users, attrgetter("row.owner_id"), User.of_row, shared=True)


@strawberry.type(description="A company (account) that contacts belong to; visible by owner like contacts.")
class Company(Node):
    name: str = strawberry.field(description="Company name.")
    domain: str | None = strawberry.field(description='Web domain, lower-cased, e.g. "acme.com.br".')
    custom_fields: JSON = strawberry.field(description=CUSTOM_FIELDS_HELP)
    created_at: datetime = strawberry.field(description="When the company was created.")
    deleted_at: datetime | None = strawberry.field(description="When it went to the trash; null if live.")
    row: strawberry.Private[Any]

    @strawberry.field(description="The user responsible for the company; null when unowned.")
    @_OWNER.field
    def owner(self, info: Info) -> User | None:
        return _OWNER.resolve(self, info)

    @strawberry.field(
        description="Live contacts of the company that the caller may see, newest first. `first` defaults to 50, at most 100."
    )
    async def contacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LazyContactConnection:
        from revgraph.schema.contacts import contact_connection, contact_joins

        page = await query(
            contact_queries.company_contacts(
                ctx_of(info),
                self.row.id,
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
                joins=contact_joins(info),
            )
        )
        return await contact_connection(info, page)

    @strawberry.field(
        description="Live deals of the company that the caller may see, newest first. `first` defaults to 50, at most 100."
    )
    async def deals(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[DealConnection, strawberry.lazy("revgraph.schema.deals")]:
        from revgraph.schema.deals import related_deals

        return await related_deals(info, first, after, company_id=self.row.id)

    @classmethod
    def of(cls, row: Any) -> Company:
        """The company of a row; its fields are computed as they are read (`_company_of`)."""
        return _company_of(row)


_company_of = fields_from_row(
    Company,
    id=row_id("Company"),
    name=attrgetter("name"),
    domain=attrgetter("domain"),
    custom_fields=lambda row: row.custom_fields or {},
    created_at=attrgetter("created_at"),
    deleted_at=attrgetter("deleted_at"),
)


# The column each field `Company.of` makes reads (`_company_of`): a read
# that shows only these fields of a company needs only these columns (a
# contact's company, read with its page: resolvers/read_rows.py `Join`).
COMPANY_COLUMNS = {
    "id": "id",
    "name": "name",
    "domain": "domain",
    "customFields": "custom_fields",
    "createdAt": "created_at",
    "deletedAt": "deleted_at",
}


@strawberry.type(name="CompanyConnection", description="A page of companies.")
class CompanyConnection(Connection[Company]):
    pass


@strawberry.input(
    description="Which companies to list; trashed ones are left out unless `deleted` is true. "
    + FILTER_LIMITS
)
class CompanyFilter:
    and_: list[CompanyFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these hold."
    )
    or_: list[CompanyFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="At least one of these holds."
    )
    not_: CompanyFilter | None = strawberry.field(
        name="not", default=strawberry.UNSET, description="This does not hold."
    )
    name: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Company name.")
    domain: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Web domain.")
    custom_field: CustomFieldFilter | None = strawberry.field(
        default=strawberry.UNSET, description=CUSTOM_FIELD_FILTER_HELP
    )
    deleted: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: only the trash; false or absent: only live companies."
    )


@strawberry.input(
    description="A new company. ownerId defaults to the creating user when that user is an AGENT."
)
class CompanyInput:
    name: str = strawberry.field(description="Company name; not blank, at most 200 characters.")
    domain: str | None = strawberry.field(
        default=strawberry.UNSET,
        description='Web domain ("https://www.acme.com.br/" is read as "acme.com.br").',
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Owner; agents may only name themselves."
    )
    custom_fields: JSON | None = strawberry.field(default=strawberry.UNSET, description=CUSTOM_FIELDS_LIMITS)


@strawberry.input(description="Changes to a company: only the fields sent change.")
class CompanyUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Company name; cannot be cleared."
    )
    domain: str | None = strawberry.field(default=strawberry.UNSET, description="Web domain; null clears it.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Owner; agents may only name themselves."
    )
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET, description=f"The whole new custom-fields object. {CUSTOM_FIELDS_LIMITS}"
    )


@strawberry.type(description="Result of a company mutation.")
class CompanyPayload:
    company: Company | None = strawberry.field(default=None, description="The company as changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class CompaniesQuery:
    @strawberry.field(
        description=f"Companies the caller may see, by name. `search`: case-insensitive substring of name or domain; {SEARCH_LIMIT} `first` defaults to 50, at most 100.",
        permission_classes=AUTHENTICATED,
    )
    async def companies(
        self,
        info: Info,
        filter: CompanyFilter | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CompanyConnection:
        page = await query(
            companies.list_companies(
                ctx_of(info),
                filter=input_dict(filter),
                search=search,
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        await preload_page(info, page.items, Ahead("owner", loaders.users, "owner_id"))
        return build(CompanyConnection, page, Company.of)

    @strawberry.field(
        description="A company by id, also when trashed; null if missing or not visible.",
        permission_classes=AUTHENTICATED,
    )
    async def company(self, info: Info, id: strawberry.ID) -> Company | None:
        pk = pk_of(id, "Company")
        row = await query(companies.get_company(ctx_of(info), pk)) if pk is not None else None
        return Company.of(row) if row else None


_company_mutation = payload_mutation(CompanyPayload, "company", Company.of)


@strawberry.type
class CompaniesMutation:
    @strawberry.mutation(description="Create a company.", permission_classes=AUTHENTICATED)
    async def create_company(self, info: Info, input: CompanyInput) -> CompanyPayload:
        return await _company_mutation(companies.create_company)(info, input_dict(input))

    @strawberry.mutation(description="Change a live company.", permission_classes=AUTHENTICATED)
    async def update_company(
        self, info: Info, id: strawberry.ID, input: CompanyUpdateInput
    ) -> CompanyPayload:
        return await _company_mutation(companies.update_company)(info, id, input_dict(input))

    @strawberry.mutation(
        description="Move a company to the trash (its contacts keep the link); restorable for the retention period.",
        permission_classes=AUTHENTICATED,
    )
    async def delete_company(self, info: Info, id: strawberry.ID) -> DeletePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await companies.set_company_trashed(ctx, id, trashed=True)
            return {"deleted_id": strawberry.ID(encode_id("Company", row.id))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(description="Bring a company back from the trash.", permission_classes=AUTHENTICATED)
    async def restore_company(self, info: Info, id: strawberry.ID) -> CompanyPayload:
        return await _company_mutation(companies.set_company_trashed, trashed=False)(info, id)
