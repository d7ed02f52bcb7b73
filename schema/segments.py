"""GraphQL surface of saved contact lists (segments) and "oferta ativa":
distributing one through a queue as a background job with its progress."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import loaders, segments
from revgraph.resolvers.distribution import bulk
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, mutate, query, selects
from revgraph.schema.connections import Connection, build
from revgraph.schema.contacts import ContactConnection, ContactFilter, contact_connection
from revgraph.schema.identity import User
from revgraph.schema.permissions import AUTHENTICATED, MANAGER
from revgraph.schema.queues import Queue


@strawberry.type(
    description="A saved contact list: a ContactFilter and search text with a name, evaluated when used."
)
class Segment(Node):
    name: str = strawberry.field(description="Its name.")
    filter: JSON = strawberry.field(
        description="The ContactFilter it applies, as saved (GraphQL field names)."
    )
    search: str | None = strawberry.field(description="The search text it applies, if any.")
    created_at: datetime = strawberry.field(description="When it was saved.")
    row: strawberry.Private[Any]

    @strawberry.field(
        description="The live contacts it selects now that the caller may see, newest first (an agent sees their own)."
    )
    async def contacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ContactConnection:
        page = await query(
            segments.segment_contacts(
                ctx_of(info), self.row, first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return await contact_connection(info, page)

    @classmethod
    def of(cls, row: Any) -> Segment:
        return cls(
            id=strawberry.ID(encode_id("Segment", row.id)),
            name=row.name,
            filter=row.conditions or {},
            search=row.search,
            created_at=row.created_at,
            row=row,
        )


@strawberry.type(name="SegmentConnection", description="A page of segments, oldest first.")
class SegmentConnection(Connection[Segment]):
    pass


@strawberry.enum(description="Where an oferta ativa job is.")
class BulkDistributionStatus(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@strawberry.type(
    description='An "oferta ativa" job: the contacts of a segment, as its requester saw them when it started, each distributed through a queue like a single lead. Poll it (or node) for progress.'
)
class BulkDistribution(Node):
    status: BulkDistributionStatus = strawberry.field(description="PENDING, RUNNING, DONE or FAILED.")
    total: int = strawberry.field(description="Contacts in the job, fixed when it started.")
    processed: int = strawberry.field(description="Contacts handled so far (assigned + queued + skipped).")
    assigned: int = strawberry.field(description="Contacts given to a member.")
    queued: int = strawberry.field(
        description="Contacts waiting in the queue's backlog (nobody eligible yet)."
    )
    skipped: int = strawberry.field(
        description="Contacts left as they were: already waiting or assigned in this queue, or trashed meanwhile."
    )
    error: str | None = strawberry.field(description="Why it FAILED.")
    created_at: datetime = strawberry.field(description="When it was started.")
    finished_at: datetime | None = strawberry.field(
        description="When it ended; null while PENDING or RUNNING."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="The segment distributed.")
    async def segment(self, info: Info) -> Segment | None:
        row = await segments.get_segment(ctx_of(info), self.row.segment_id)
        return Segment.of(row) if row else None

    @strawberry.field(description="The queue it went through.")
    async def queue(self, info: Info) -> Queue:
        from revgraph.resolvers.distribution import queues

        return Queue.of(await queues.get_queue(ctx_of(info), self.row.queue_id))

    @strawberry.field(description="Who started it.")
    async def requested_by(self, info: Info) -> User | None:
        if self.row.requested_by_id is None:
            return None
        row = await loaders.users(ctx_of(info)).load(self.row.requested_by_id)
        return User.of(row) if row else None

    @classmethod
    def of(cls, row: Any) -> BulkDistribution:
        return cls(
            id=strawberry.ID(encode_id("BulkDistribution", row.id)),
            status=BulkDistributionStatus(row.status),
            total=row.total,
            processed=row.processed,
            assigned=row.assigned,
            queued=row.queued,
            skipped=row.skipped,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            row=row,
        )


@strawberry.input(description="A saved contact list.")
class SegmentInput:
    name: str = strawberry.field(description="Its name (unique among live segments).")
    filter: ContactFilter | None = strawberry.field(
        default=None, description="Which contacts (the contacts list's filter; live contacts only)."
    )
    search: str | None = strawberry.field(default=None, description="Search text, as the contacts list's.")


@strawberry.input(description="Changes to a segment: only the fields sent change.")
class SegmentUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Its name.")
    filter: ContactFilter | None = strawberry.field(default=strawberry.UNSET, description="Which contacts.")
    search: str | None = strawberry.field(
        default=strawberry.UNSET, description="Search text; null clears it."
    )


@strawberry.type(description="Result of a segment change.")
class SegmentPayload:
    segment: Segment | None = strawberry.field(default=None, description="The segment.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of distributeSegment.")
class BulkDistributionPayload:
    bulk_distribution: BulkDistribution | None = strawberry.field(
        default=None, description="The job started."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class SegmentsQuery:
    @strawberry.field(
        description="Saved contact lists of the workspace, oldest first.", permission_classes=AUTHENTICATED
    )
    async def segments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> SegmentConnection:
        page = await query(
            segments.list_segments(
                ctx_of(info), first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return build(SegmentConnection, page, Segment.of)

    @strawberry.field(
        description="An oferta ativa job by id, for its progress.", permission_classes=AUTHENTICATED
    )
    async def bulk_distribution(self, info: Info, id: strawberry.ID) -> BulkDistribution | None:
        from revgraph.resolvers.ids import pk_of

        pk = pk_of(id, "BulkDistribution")
        row = await query(bulk.get_bulk_distribution(ctx_of(info), pk)) if pk is not None else None
        return BulkDistribution.of(row) if row else None


@strawberry.type
class SegmentsMutation:
    @strawberry.mutation(description="Save a contact list. Managers and admins.", permission_classes=MANAGER)
    async def create_segment(self, info: Info, input: SegmentInput) -> SegmentPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"segment": Segment.of(await segments.create_segment(ctx, input_dict(input)))}

        return await mutate(SegmentPayload, work)

    @strawberry.mutation(
        description="Change a saved contact list. Managers and admins.", permission_classes=MANAGER
    )
    async def update_segment(
        self, info: Info, id: strawberry.ID, input: SegmentUpdateInput
    ) -> SegmentPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"segment": Segment.of(await segments.update_segment(ctx, id, input_dict(input)))}

        return await mutate(SegmentPayload, work)

    @strawberry.mutation(
        description="Archive a saved contact list. Managers and admins.", permission_classes=MANAGER
    )
    async def archive_segment(self, info: Info, id: strawberry.ID) -> SegmentPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"segment": Segment.of(await segments.archive_segment(ctx, id))}

        return await mutate(SegmentPayload, work)

    @strawberry.mutation(
        description="Oferta ativa: distribute every contact of a segment that you see (at most 10,000 by default) through a queue, each like a single lead, in a background job; follow it with bulkDistribution(id). Contacts already waiting or assigned in that queue are skipped. Managers and admins.",
        permission_classes=MANAGER,
    )
    async def distribute_segment(
        self, info: Info, segment_id: strawberry.ID, queue_id: strawberry.ID
    ) -> BulkDistributionPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            job = await bulk.start_bulk_distribution(ctx, segment_id=segment_id, queue_id=queue_id)
            return {"bulk_distribution": BulkDistribution.of(job)}

        return await mutate(BulkDistributionPayload, work)
