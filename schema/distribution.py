"""GraphQL surface of distribution: queues, assignments, capture, "atender pendentes"."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import loaders
from revgraph.resolvers.distribution import assign, capture, handoff, live, pending
from revgraph.resolvers.errors import AuthError, DomainError
from revgraph.resolvers.i18n import shown
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, mutate, query, selects
from revgraph.schema.connections import Connection, build
from revgraph.schema.deals import Deal
from revgraph.schema.identity import User
from revgraph.schema.permissions import AUTHENTICATED
from revgraph.schema.queues import Queue

if TYPE_CHECKING:
    from revgraph.schema.contacts import Contact, ContactPayload

ContactRef = Annotated["Contact", strawberry.lazy("revgraph.schema.contacts")]


def _contact(row: Any) -> Any:
    from revgraph.schema.contacts import Contact

    return Contact.of(row)


@strawberry.enum(description="ASSIGNED, or QUEUED: nobody eligible yet; assigned as soon as someone is.")
class AssignmentStatus(Enum):
    ASSIGNED = "ASSIGNED"
    QUEUED = "QUEUED"


def _queue_loader(ctx: Any) -> loaders.BatchLoader:
    from revgraph.models.distribution import Queue as QueueRow

    return loaders.loader(ctx, "queues", lambda ws: loaders.by_id(ws, QueueRow))


@strawberry.type(description="One distribution decision, with why it went to whom.")
class Assignment(Node):
    status: AssignmentStatus = strawberry.field(description="ASSIGNED or QUEUED.")
    reason: str = strawberry.field(
        description="Why this user: strategy, pointer/weights/load, who was skipped and why."
    )
    at: datetime = strawberry.field(description="When the lead entered the queue.")
    worked_at: datetime | None = strawberry.field(
        description=(
            "The assignee's first contact after this assignment: their first note, completed task, "
            "outbound message or stage move on the lead. Null while unworked (or QUEUED)."
        )
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="The queue that decided.")
    async def queue(self, info: Info) -> Queue:
        return Queue.of(await _queue_loader(ctx_of(info)).load(self.row.queue_id))

    @strawberry.field(description="Who got the lead; null while QUEUED.")
    async def user(self, info: Info) -> User | None:
        if self.row.user_id is None:
            return None
        row = await loaders.users(ctx_of(info)).load(self.row.user_id)
        return User.of(row) if row else None

    @strawberry.field(description="The lead; null if you may not see it.")
    async def contact(self, info: Info) -> ContactRef | None:
        if self.row.contact_id is None:
            return None
        row = await live.visible_contact(ctx_of(info), self.row.contact_id)
        return _contact(row) if row else None

    @strawberry.field(description="The deal handed off, if the assignment was for a deal.")
    async def deal(self, info: Info) -> Deal | None:
        if self.row.deal_id is None:
            return None
        row = await live.visible_deal(ctx_of(info), self.row.deal_id)
        return Deal.of(row) if row else None

    @classmethod
    def of(cls, row: Any) -> Assignment:
        return cls(
            id=strawberry.ID(encode_id("Assignment", row.id)),
            status=AssignmentStatus(row.status),
            reason=shown(row.reason) or "",
            at=row.at,
            worked_at=row.worked_at,
            row=row,
        )


@strawberry.type(name="AssignmentConnection", description="A page of assignments, newest first.")
class AssignmentConnection(Connection[Assignment]):
    pass


@strawberry.input(
    description="What to distribute: a contact or a deal (a deal through another queue is the SDR → closer hand-off)."
)
class DistributeInput:
    queue_id: strawberry.ID = strawberry.field(description="The queue.")
    contact_id: strawberry.ID | None = strawberry.field(default=None, description="A contact.")
    deal_id: strawberry.ID | None = strawberry.field(default=None, description="A deal.")


@strawberry.input(description="A lead from any channel.")
class CaptureLeadInput:
    name: str = strawberry.field(description="The person's name.")
    email: str | None = strawberry.field(
        default=None, description="E-mail (an e-mail or a phone is required)."
    )
    phone: str | None = strawberry.field(
        default=None, description="Phone; Brazilian numbers without +55 are understood."
    )
    source: str = strawberry.field(description='"form", "whatsapp", "instagram", "site", "api", ...')
    media: str | None = strawberry.field(default=None, description="paid/organic/referral...")
    campaign: str | None = strawberry.field(default=None, description="Campaign name.")
    utm: JSON | None = strawberry.field(default=None, description="UTM parameters as a JSON object.")
    message: str | None = strawberry.field(default=None, description="What the lead wrote.")
    queue_id: strawberry.ID | None = strawberry.field(
        default=None, description="Distribute the lead through this queue."
    )
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Also open a deal in this pipeline."
    )
    development_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The development the lead is interested in (a live one): added to the contact's interests and given to the deal opened (or re-entered, when it has none).",
    )
    custom_fields: JSON | None = strawberry.field(
        default=None, description="Extra fields (kept where the contact lacks them)."
    )
    landing_page: str | None = strawberry.field(default=None, description="URL the lead converted on.")


@strawberry.type(description="Result of distribute / reassign.")
class AssignmentPayload:
    assignment: Assignment | None = strawberry.field(default=None, description="The decision.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of captureLead.")
class CaptureLeadPayload:
    contact: ContactRef | None = strawberry.field(default=None, description="The lead's contact.")
    created: bool = strawberry.field(
        default=False, description="false: a returning lead merged into its existing contact."
    )
    deal: Deal | None = strawberry.field(
        default=None, description="The deal opened, when pipelineId was given."
    )
    assignment: Assignment | None = strawberry.field(
        default=None,
        description="The distribution, when queueId was given and the lead lock did not keep the owner.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


def _captured(result: capture.Captured) -> dict[str, Any]:
    return {
        "contact": _contact(result.contact) if result.contact is not None else None,
        "created": result.created,
        "deal": Deal.of(result.deal) if result.deal else None,
        "assignment": Assignment.of(result.assignment) if result.assignment else None,
    }


@strawberry.type
class DistributionQuery:
    @strawberry.field(
        description="Assignments you may see (yours; for managers their teams'; for admins all), newest first.",
        permission_classes=AUTHENTICATED,
    )
    async def assignments(
        self,
        info: Info,
        queue_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AssignmentConnection:
        page = await query(
            live.list_assignments(
                ctx_of(info),
                queue_id=queue_id,
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        return build(AssignmentConnection, page, Assignment.of)

    @strawberry.field(
        description='"Atender pendentes": the lead you should attend now — overdue scheduled returns first, then leads assigned and not yet worked, oldest first.',
        permission_classes=AUTHENTICATED,
    )
    async def next_pending(self, info: Info) -> ContactRef | None:
        row = await query(pending.next_pending(ctx_of(info)))
        return _contact(row) if row else None


@strawberry.type
class DistributionMutation:
    @strawberry.mutation(
        description="Assign a contact or deal through a queue (QUEUED when nobody is eligible).",
        permission_classes=AUTHENTICATED,
    )
    async def distribute(self, info: Info, input: DistributeInput) -> AssignmentPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await assign.distribute(
                ctx, queue_id=input.queue_id, contact_id=input.contact_id, deal_id=input.deal_id
            )
            return {"assignment": Assignment.of(row)}

        return await mutate(AssignmentPayload, work)

    @strawberry.mutation(
        description="Give a lead (contact or deal) to another user. Managers within their teams; an agent may not hand their lead to someone else (FORBIDDEN).",
        permission_classes=AUTHENTICATED,
    )
    async def reassign(
        self,
        info: Info,
        user_id: strawberry.ID,
        contact_id: strawberry.ID | None = None,
        deal_id: strawberry.ID | None = None,
    ) -> AssignmentPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            row = await handoff.reassign(ctx, user_id=user_id, contact_id=contact_id, deal_id=deal_id)
            return {"assignment": Assignment.of(row)}

        return await mutate(AssignmentPayload, work)

    @strawberry.mutation(
        description="Disqualify a lead (lifecycle DISQUALIFIED); a reason is required. Frees the owner's capacity.",
        permission_classes=AUTHENTICATED,
    )
    async def disqualify_lead(
        self, info: Info, contact_id: strawberry.ID, reason: str
    ) -> Annotated[ContactPayload, strawberry.lazy("revgraph.schema.contacts")]:
        from revgraph.schema.contacts import ContactPayload

        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"contact": _contact(await handoff.disqualify(ctx, contact_id=contact_id, reason=reason))}

        return await mutate(ContactPayload, work)

    @strawberry.mutation(
        description="Report a lead from any channel: dedupes by e-mail/phone, records the touchpoint, optionally opens a deal and distributes through a queue.",
        permission_classes=AUTHENTICATED,
    )
    async def capture_lead(self, info: Info, input: CaptureLeadInput) -> CaptureLeadPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return _captured(await capture.capture_lead(ctx, input_dict(input)))

        return await mutate(CaptureLeadPayload, work)


@strawberry.type
class DistributionSubscription:
    @strawberry.subscription(
        description="Assignments made to the caller (or, for managers/admins, to their teams), live.",
        permission_classes=AUTHENTICATED,
    )
    async def assignments(self, info: Info) -> AsyncGenerator[Assignment, None]:
        ctx = ctx_of(info)
        try:
            async for row in live.assignment_stream(ctx):
                yield Assignment.of(row)
        except (DomainError, AuthError) as error:
            code = error.problems[0].code if isinstance(error, DomainError) else error.code
            raise GraphQLError(str(error), extensions={"code": code}) from error
