"""GraphQL surface of contacts: the people of the 360° graph."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import activities, contact_merge, contact_queries, contacts, loaders, timeline
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id, pk_of, row_id
from revgraph.resolvers.read_rows import JOIN, Join, joined
from revgraph.resolvers.visibility import preload_company_visibility, sees_company, sees_company_now
from revgraph.schema.activities import (
    TaskConnection,
    TimelineConnection,
    task_page,
    timeline_page,
)
from revgraph.schema.common import (
    CUSTOM_FIELDS_LIMITS,
    FILTER_LIMITS,
    SEARCH_LIMIT,
    TAG_LIMITS,
    DateTimeFilter,
    DeletePayload,
    IDFilter,
    IntFilter,
    Node,
    OrderDirection,
    StringFilter,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    payload_mutation,
    query,
    selects,
)
from revgraph.schema.companies import COMPANY_COLUMNS, Company
from revgraph.schema.connections import Ahead, Connection, Joinable, build, joins_shown, preload_page
from revgraph.schema.custom_fields import CUSTOM_FIELD_FILTER_HELP, CUSTOM_FIELDS_HELP, CustomFieldFilter
from revgraph.schema.identity import USER_COLUMNS, User
from revgraph.schema.lean_execution import Preload, fields_from_row, member_from_row
from revgraph.schema.permissions import AUTHENTICATED

if TYPE_CHECKING:
    from revgraph.schema.consent import Consent
    from revgraph.schema.deals import DealConnection
    from revgraph.schema.developments import Development

PAGE_ARGS = "`first` defaults to 50 and may be at most 100 (more is LIMIT_EXCEEDED)."


def _visible_company(ctx: Context, row: Any) -> Any:
    """The Company of a contact's company row, None if the caller may not
    see it; an awaitable when that is not known yet."""
    if row is None:
        return None
    seen = sees_company_now(ctx, row)
    if seen is None:
        return _company_if_seen(ctx, row)
    return Company.of(row) if seen else None


async def _company_if_seen(ctx: Context, row: Any) -> Company | None:
    return Company.of(row) if await sees_company(ctx, row) else None


# A listed contact's company, owner and tags: over what its row carries
# (`joined`: read in the page's statement, `contact_joins`) or its page's
# preload.
_COMPANY = Preload(
    loaders.companies, attrgetter("row.company_id"), _visible_company, with_ctx=True, joined="company"
)
_OWNER = Preload(loaders.users, attrgetter("row.owner_id"), User.of_row, shared=True, joined="owner")
_TAGS = Preload(loaders.contact_tags, attrgetter("row.id"), list)

# The edges a contacts page reads in its own statement when shown: the
# owner (User.of makes every plain field at once), the company (and its
# owner_id, which decides whether the caller sees it).
_JOINABLE = (
    Joinable("owner", USER_COLUMNS, tuple(USER_COLUMNS.values())),
    Joinable("company", COMPANY_COLUMNS, ("owner_id",)),
)


def contact_joins(info: Info) -> tuple[Join, ...]:
    """The joins of a contacts page for what its selection shows of each
    contact's owner and company (contact_queries.contact_joins)."""
    return contact_queries.contact_joins(joins_shown(info, *_JOINABLE))


@strawberry.enum(description="How far a contact is in the funnel: LEAD → MQL → SQL → OPPORTUNITY → CUSTOMER.")
class LifecycleStage(Enum):
    LEAD = "LEAD"
    MQL = "MQL"
    SQL = "SQL"
    OPPORTUNITY = "OPPORTUNITY"
    CUSTOMER = "CUSTOMER"
    DISQUALIFIED = "DISQUALIFIED"


@strawberry.enum(description="What contacts can be ordered by (ties always broken by id).")
class ContactOrderField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    SCORE = "SCORE"


@strawberry.type(description="A person: a lead or customer, with owner, company, tags and a timeline.")
class Contact(Node):
    name: str = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(description="E-mail, lower-cased; unique among live contacts.")
    phone: str | None = strawberry.field(
        description='Normalised E.164, e.g. "+5511987654321"; unique among live contacts.'
    )
    lifecycle_stage: LifecycleStage = strawberry.field(description="Funnel stage (default LEAD).")
    score: int = strawberry.field(description="Qualification score.")
    number: int = strawberry.field(
        description='The lead\'s readable number in the workspace (seed 002\'s "número único"): 1, 2, 3... in order of creation. `search: "123"` or `"#123"` finds it.'
    )
    source: str | None = strawberry.field(
        description='Channel of origin: "form", "whatsapp", "api", "import", "manual"...'
    )
    custom_fields: JSON = strawberry.field(description=CUSTOM_FIELDS_HELP)
    created_at: datetime = strawberry.field(description="When the contact was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    deleted_at: datetime | None = strawberry.field(
        description="When it went to the trash; null for a live contact."
    )
    row: strawberry.Private[Any]

    # company, owner and tags answer at once over what the page loaded
    # ahead (contact_connection), and return an awaitable otherwise; a
    # compiled plan answers them without calling the resolver
    # (schema/lean_execution.py `Preload`).
    @strawberry.field(description="The contact's company; null if none or not visible to the caller.")
    @_COMPANY.field
    def company(self, info: Info) -> Company | None:
        return _COMPANY.resolve(self, info)

    @strawberry.field(description="The user responsible for the contact; null when unowned.")
    @_OWNER.field
    def owner(self, info: Info) -> User | None:
        return _OWNER.resolve(self, info)

    @strawberry.field(description="Tags, in the order they were added.")
    @_TAGS.field
    def tags(self, info: Info) -> list[str]:
        return _TAGS.resolve(self, info)

    @strawberry.field(
        description="The contact's consent on each channel with a record (the newest row of each, by channel): a contact who wrote to an inbox is opted in for its channel until they opt out (PARAR/SAIR/STOP) or a user records otherwise."
    )
    async def consents(
        self, info: Info
    ) -> list[Annotated[Consent, strawberry.lazy("revgraph.schema.consent")]]:
        from revgraph.schema.consent import consents_of

        return await consents_of(info, self.row.id, history=False)

    @strawberry.field(
        description="The consent ledger of the contact, every channel, newest first (at most 200 rows): what LGPD asks to show."
    )
    async def consent_history(
        self, info: Info
    ) -> list[Annotated[Consent, strawberry.lazy("revgraph.schema.consent")]]:
        from revgraph.schema.consent import consents_of

        return await consents_of(info, self.row.id, history=True)

    @strawberry.field(
        description='Developments (empreendimentos) the contact is interested in, in the order they were added (at most 20; archived ones stay): the lead\'s "empreendimento de interesse".'
    )
    async def interests(
        self, info: Info
    ) -> list[Annotated[Development, strawberry.lazy("revgraph.schema.developments")]]:
        from revgraph.schema.developments import interests_of

        return await interests_of(info, self.row.id)

    @strawberry.field(
        description=f"The contact's live deals that the caller may see, newest first. {PAGE_ARGS}"
    )
    async def deals(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[DealConnection, strawberry.lazy("revgraph.schema.deals")]:
        from revgraph.schema.deals import related_deals

        return await related_deals(info, first, after, contact_id=self.row.id)

    @strawberry.field(description=f"The contact's tasks, oldest first. {PAGE_ARGS}")
    async def tasks(self, info: Info, first: int | None = None, after: str | None = None) -> TaskConnection:
        page = await query(
            activities.contact_tasks(
                ctx_of(info), self.row.id, first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return await task_page(info, page)

    @strawberry.field(
        description=f"Everything that happened to the contact (and to contacts merged into it), newest first. {PAGE_ARGS}"
    )
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> TimelineConnection:
        page = await query(
            timeline.contact_timeline(
                ctx_of(info), self.row.id, first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return await timeline_page(info, page)

    @classmethod
    def of(cls, row: Any) -> Contact:
        """The contact of a row; its fields are computed as they are read (`_contact_of`)."""
        return _contact_of(row)


_contact_of = fields_from_row(
    Contact,
    id=row_id("Contact"),
    name=attrgetter("name"),
    email=attrgetter("email"),
    phone=attrgetter("phone"),
    lifecycle_stage=member_from_row(LifecycleStage, "lifecycle_stage"),
    score=attrgetter("score"),
    number=attrgetter("number"),
    source=attrgetter("source"),
    custom_fields=lambda row: row.custom_fields or {},
    created_at=attrgetter("created_at"),
    updated_at=attrgetter("updated_at"),
    deleted_at=attrgetter("deleted_at"),
)


# The column each field `Contact.of` makes reads (`_contact_of`): a read
# that shows only these fields of a contact needs only these columns (a
# board's contacts, read with the cards: resolvers/read_rows.py `Join`).
CONTACT_COLUMNS = {
    "id": "id",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "lifecycleStage": "lifecycle_stage",
    "score": "score",
    "number": "number",
    "source": "source",
    "customFields": "custom_fields",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "deletedAt": "deleted_at",
}


@strawberry.type(name="ContactConnection", description="A page of contacts.")
class ContactConnection(Connection[Contact]):
    pass


async def contact_connection(info: Info, page: Any) -> ContactConnection:
    """A page of contacts as a connection, with the companies (and whether
    the caller sees them), owners and tags its selection asks for loaded
    in one batch each, unless the rows carry them (`contact_joins`)."""
    rows = page.items
    loaded = await preload_page(
        info,
        rows,
        Ahead("company", loaders.companies, "company_id"),
        Ahead("owner", loaders.users, "owner_id"),
        Ahead("tags", loaders.contact_tags),
    )
    companies = loaded.get("company")
    if companies is None and rows and JOIN + "company" in rows[0].__dict__:
        companies = [joined(row, "company") for row in rows]
    if companies:
        await preload_company_visibility(ctx_of(info), companies)
    return build(ContactConnection, page, Contact.of)


@strawberry.input(
    description="Which contacts to list: every field given must hold; combine with and/or/not. Trashed contacts are left out unless `deleted` is true. "
    + FILTER_LIMITS
)
class ContactFilter:
    and_: list[ContactFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these hold."
    )
    or_: list[ContactFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="At least one of these holds."
    )
    not_: ContactFilter | None = strawberry.field(
        name="not", default=strawberry.UNSET, description="This does not hold."
    )
    name: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Full name.")
    email: StringFilter | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail (lower-case)."
    )
    phone: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="E.164 phone.")
    source: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="Channel of origin.")
    owner_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Owner (a User id).")
    company_id: IDFilter | None = strawberry.field(default=strawberry.UNSET, description="Company id.")
    interested_in: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Interested in any of these developments (Development ids); an empty list constrains nothing.",
    )
    lifecycle_stage: list[LifecycleStage] | None = strawberry.field(
        default=strawberry.UNSET, description="In one of these stages."
    )
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Has all of these tags.")
    score: IntFilter | None = strawberry.field(default=strawberry.UNSET, description="Score.")
    number: IntFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The lead's readable number in the workspace."
    )
    created_at: DateTimeFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Creation time."
    )
    custom_field: CustomFieldFilter | None = strawberry.field(
        default=strawberry.UNSET, description=CUSTOM_FIELD_FILTER_HELP
    )
    deleted: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true: only the trash; false or absent: only live contacts."
    )


@strawberry.input(description="One ordering key of a contact list.")
class ContactOrder:
    field: ContactOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(description="ASC or DESC.")


@strawberry.input(
    description="A new contact. name: required, not blank. lifecycleStage defaults to LEAD. ownerId defaults to the creating user when that user is an AGENT, otherwise the contact starts unowned."
)
class ContactInput:
    name: str = strawberry.field(description="Full name; not blank, at most 200 characters.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Checked by syntax only, stored lower-cased."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Any common format; numbers without country code read as Brazilian.",
    )
    company_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Its company.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Owner; agents may only name themselves."
    )
    lifecycle_stage: LifecycleStage | None = strawberry.field(
        default=strawberry.UNSET, description="Default LEAD."
    )
    source: str | None = strawberry.field(default=strawberry.UNSET, description="Channel of origin.")
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET, description=TAG_LIMITS)
    custom_fields: JSON | None = strawberry.field(default=strawberry.UNSET, description=CUSTOM_FIELDS_LIMITS)


@strawberry.input(
    description="Changes to a contact: only the fields sent change; null clears an optional one."
)
class ContactUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Full name; cannot be cleared.")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="E-mail.")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="Phone.")
    company_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Company.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Owner; agents may only name themselves."
    )
    lifecycle_stage: LifecycleStage | None = strawberry.field(
        default=strawberry.UNSET, description="Funnel stage; cannot be cleared."
    )
    source: str | None = strawberry.field(default=strawberry.UNSET, description="Channel of origin.")
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"The whole new set of tags (replaces the old one). {TAG_LIMITS}",
    )
    custom_fields: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"The whole new custom-fields object (replaces the old one). {CUSTOM_FIELDS_LIMITS}",
    )


@strawberry.type(description="Result of a contact mutation.")
class ContactPayload:
    contact: Contact | None = strawberry.field(default=None, description="The contact as changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class ContactsQuery:
    @strawberry.field(
        description=f"Contacts the caller may see (ADMIN: workspace; MANAGER: team subtree; AGENT: own). `search`: case-insensitive substring of name or e-mail, or (3+ digits) of the phone; {SEARCH_LIMIT} Default order: newest first. {PAGE_ARGS}",
        permission_classes=AUTHENTICATED,
    )
    async def contacts(
        self,
        info: Info,
        filter: ContactFilter | None = None,
        order_by: list[ContactOrder] | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ContactConnection:
        page = await query(
            contact_queries.list_contacts(
                ctx_of(info),
                filter=input_dict(filter),
                order_by=[input_dict(o) for o in order_by or ()] or None,
                search=search,
                first=first,
                after=after,
                last=last,
                before=before,
                with_total=selects(info, "totalCount"),
                joins=contact_joins(info),
            )
        )
        return await contact_connection(info, page)

    @strawberry.field(
        description="A contact by id, also when trashed (so it can be restored); null if missing or not visible.",
        permission_classes=AUTHENTICATED,
    )
    async def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        pk = pk_of(id, "Contact")
        row = await query(contacts.get_contact(ctx_of(info), pk)) if pk is not None else None
        return Contact.of(row) if row else None


_contact_mutation = payload_mutation(ContactPayload, "contact", Contact.of)


@strawberry.type
class ContactsMutation:
    @strawberry.mutation(
        description="Create a contact. The same normalised e-mail or phone as a live contact of the workspace is a DUPLICATE userError.",
        permission_classes=AUTHENTICATED,
    )
    async def create_contact(self, info: Info, input: ContactInput) -> ContactPayload:
        return await _contact_mutation(contacts.create_contact)(info, input_dict(input))

    @strawberry.mutation(
        description="Change a live contact; records contact.updated with each changed field (nothing changed: no event).",
        permission_classes=AUTHENTICATED,
    )
    async def update_contact(
        self, info: Info, id: strawberry.ID, input: ContactUpdateInput
    ) -> ContactPayload:
        return await _contact_mutation(contacts.update_contact)(info, id, input_dict(input))

    @strawberry.mutation(
        description="Move a contact to the trash; restorable for the workspace's retention (30 days by default).",
        permission_classes=AUTHENTICATED,
    )
    async def delete_contact(self, info: Info, id: strawberry.ID) -> DeletePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await contacts.delete_contact(ctx, id)
            return {"deleted_id": strawberry.ID(encode_id("Contact", row.id))}

        return await mutate(DeletePayload, work)

    @strawberry.mutation(
        description="Bring a contact back from the trash. DUPLICATE if a live contact now has its e-mail or phone.",
        permission_classes=AUTHENTICATED,
    )
    async def restore_contact(self, info: Info, id: strawberry.ID) -> ContactPayload:
        return await _contact_mutation(contacts.restore_contact)(info, id)

    @strawberry.mutation(
        description="Merge duplicateId into primaryId: deals, tasks, notes, tags, missing custom fields and contact data move to the primary, the duplicate is trashed and its timeline shows on the primary.",
        permission_classes=AUTHENTICATED,
    )
    async def merge_contacts(
        self, info: Info, primary_id: strawberry.ID, duplicate_id: strawberry.ID
    ) -> ContactPayload:
        return await _contact_mutation(contact_merge.merge_contacts)(info, primary_id, duplicate_id)
