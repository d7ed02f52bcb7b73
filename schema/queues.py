"""GraphQL surface of queues ("roletas"): their settings, members and
timeline, run by the managers of their team or by admins."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from revgraph.resolvers import loaders
from revgraph.resolvers.distribution import queue_access, queues
from revgraph.resolvers.ids import encode_id
from revgraph.schema.common import Node, UserError, ctx_of, input_dict, mutate, query, selects
from revgraph.schema.identity import Team, User
from revgraph.schema.permissions import AUTHENTICATED, MANAGER

if TYPE_CHECKING:
    from revgraph.schema.activities import TimelineConnection


@strawberry.enum(
    description="ONLINE: only agents currently online receive leads; OFFLINE: every active member."
)
class QueueMode(Enum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


@strawberry.enum(description="How the queue picks the next member.")
class QueueStrategy(Enum):
    ROUND_ROBIN = "ROUND_ROBIN"
    WEIGHTED = "WEIGHTED"
    LEAST_LOADED = "LEAST_LOADED"


@strawberry.type(description="A member of a queue.")
class QueueMember:
    weight: int = strawberry.field(description="Share in WEIGHTED queues (1..1000).")
    capacity: int | None = strawberry.field(description="Most open leads at once; null: unlimited.")
    active: bool = strawberry.field(description="Inactive (paused) members are skipped.")
    row: strawberry.Private[Any]
    queue: strawberry.Private[Any]
    member_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The member.")
    async def user(self, info: Info) -> User:
        return User.of(await loaders.users(ctx_of(info)).load(self.row.user_id))

    @strawberry.field(
        description="Whether you may change or remove this member: admins and the managers of the queue's team for anyone; another manager for the people of their teams, in a queue where someone of their teams is a member."
    )
    async def viewer_can_change(self, info: Info) -> bool:
        return await queue_access.viewer_may_change_member(
            ctx_of(info), self.queue, self.member_ids, self.row.user_id
        )


@strawberry.type(description='A lead distribution queue ("roleta").')
class Queue(Node):
    name: str = strawberry.field(description="Queue name.")
    mode: QueueMode = strawberry.field(description="ONLINE or OFFLINE.")
    strategy: QueueStrategy = strawberry.field(description="ROUND_ROBIN, WEIGHTED or LEAST_LOADED.")
    redistribute_after_minutes: int | None = strawberry.field(
        description="A lead nobody worked (no note, completed task, message or stage move by its owner) this many minutes after its assignment goes to the next member, the one who let it wait skipped; checked every minute, wall-clock. Null: never."
    )
    manual: bool = strawberry.field(
        description='true only for the workspace\'s "Atribuição manual" record, which holds the hand assignments of leads that never went through a queue; it is never listed nor routed through.'
    )
    archived_at: datetime | None = strawberry.field(
        description="When it was archived (no longer listed or routed through); null while in use."
    )
    row: strawberry.Private[Any]

    @strawberry.field(description="Members in turn order.")
    async def members(self, info: Info) -> list[QueueMember]:
        rows = await queues.members_of(ctx_of(info)).load(self.row.id)
        ids = [r.user_id for r in rows]
        return [
            QueueMember(
                weight=r.weight, capacity=r.capacity, active=r.active, row=r, queue=self.row, member_ids=ids
            )
            for r in rows
        ]

    @strawberry.field(
        description="Whether you may rename it, change its mode, strategy, team or delay, and archive it: admins, and the managers of its team (or of a team above it)."
    )
    async def viewer_runs(self, info: Info) -> bool:
        return await queue_access.viewer_runs(ctx_of(info), self.row)

    @strawberry.field(description="Leads waiting with status QUEUED.")
    async def backlog(self, info: Info) -> int:
        return await queues.backlog_of(ctx_of(info)).load(self.row.id)

    @strawberry.field(
        description="The team whose managers run this queue (with admins); null: the workspace's, run by admins."
    )
    async def team(self, info: Info) -> Team | None:
        if self.row.team_id is None:
            return None
        row = await loaders.teams(ctx_of(info)).load(self.row.team_id)
        return Team.of(row) if row else None

    @strawberry.field(
        description="Its configuration history, newest first: created, changed, members added, paused, re-weighted or removed, archived."
    )
    async def timeline(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[TimelineConnection, strawberry.lazy("revgraph.schema.activities")]:
        from revgraph.schema.activities import timeline_page

        page = await query(
            queues.queue_timeline(
                ctx_of(info), self.row.id, first=first, after=after, with_total=selects(info, "totalCount")
            )
        )
        return await timeline_page(info, page)

    @classmethod
    def of(cls, row: Any) -> Queue:
        return cls(
            id=strawberry.ID(encode_id("Queue", row.id)),
            name=row.name,
            mode=QueueMode(row.mode),
            strategy=QueueStrategy(row.strategy),
            redistribute_after_minutes=row.redistribute_after_minutes,
            manual=row.kind == "MANUAL",
            archived_at=row.archived_at,
            row=row,
        )


@strawberry.input(description="A member of a new queue.")
class QueueMemberInput:
    user_id: strawberry.ID = strawberry.field(description="The user (for managers, someone of their teams).")
    weight: int | None = strawberry.field(default=1, description="Share in WEIGHTED queues (1..1000).")
    capacity: int | None = strawberry.field(
        default=None, description="Most open leads at once; null: unlimited."
    )
    active: bool | None = strawberry.field(default=True, description="Inactive (paused) members are skipped.")


@strawberry.input(description="A new queue; members in turn order.")
class QueueInput:
    name: str = strawberry.field(description="Queue name.")
    mode: QueueMode = strawberry.field(description="ONLINE or OFFLINE.")
    strategy: QueueStrategy = strawberry.field(description="ROUND_ROBIN, WEIGHTED or LEAST_LOADED.")
    members: list[QueueMemberInput] = strawberry.field(description="Members in turn order.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The team whose managers run it: required for a manager (one of their teams); an admin may leave it out for a workspace queue.",
    )
    redistribute_after_minutes: int | None = strawberry.field(
        default=None,
        description="Minutes without a first contact before a lead moves to the next member (1 to 43200); null: never.",
    )


@strawberry.input(description="Changes to a queue: only the fields sent change (null turns the delay off).")
class QueueUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Queue name.")
    mode: QueueMode | None = strawberry.field(default=strawberry.UNSET, description="ONLINE or OFFLINE.")
    strategy: QueueStrategy | None = strawberry.field(
        default=strawberry.UNSET, description="ROUND_ROBIN, WEIGHTED or LEAST_LOADED."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Move it to another team (a manager: one of theirs); null, admins only: the workspace's.",
    )
    redistribute_after_minutes: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Minutes without a first contact before a lead moves on (1 to 43200); null: never.",
    )


@strawberry.type(description="Result of createQueue / queue changes.")
class QueuePayload:
    queue: Queue | None = strawberry.field(default=None, description="The queue.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class QueuesQuery:
    @strawberry.field(
        description="Queues of the workspace in use (not archived).", permission_classes=AUTHENTICATED
    )
    async def queues(
        self,
        info: Info,
        concerning_me: Annotated[
            bool,
            strawberry.argument(
                description="Only the queues you may change something in: every one for admins; for a manager, those of their teams and those where someone of their teams is a member; none for agents."
            ),
        ] = False,
    ) -> list[Queue]:
        rows = await query(queues.list_queues(ctx_of(info), concerning_me=concerning_me))
        return [Queue.of(r) for r in rows]

    @strawberry.field(
        description="The active people you may add to queues, by name: everyone for admins, the people of your teams for managers, nobody for agents.",
        permission_classes=AUTHENTICATED,
    )
    async def queue_candidates(self, info: Info) -> list[User]:
        return [User.of(r) for r in await query(queue_access.queue_candidates(ctx_of(info)))]


@strawberry.type
class QueuesMutation:
    @strawberry.mutation(
        description="Create a queue: a manager for one of their teams (members from their teams), an admin for any team or the workspace.",
        permission_classes=MANAGER,
    )
    async def create_queue(self, info: Info, input: QueueInput) -> QueuePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"queue": Queue.of(await queues.create_queue(ctx, input_dict(input)))}

        return await mutate(QueuePayload, work)

    @strawberry.mutation(
        description="Change a queue's name, mode, strategy, team or unattended-lead delay; the next lead follows. Managers of its team and admins.",
        permission_classes=MANAGER,
    )
    async def update_queue(self, info: Info, id: strawberry.ID, input: QueueUpdateInput) -> QueuePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"queue": Queue.of(await queues.update_queue(ctx, id, input_dict(input)))}

        return await mutate(QueuePayload, work)

    @strawberry.mutation(
        description="Archive a queue: no longer listed or routed through; refused (RULE_VIOLATION) while leads wait in its backlog. Managers of its team and admins.",
        permission_classes=MANAGER,
    )
    async def archive_queue(self, info: Info, id: strawberry.ID) -> QueuePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"queue": Queue.of(await queues.archive_queue(ctx, id))}

        return await mutate(QueuePayload, work)

    @strawberry.mutation(
        description="Add a member to a queue (end of the turn order) or change one's weight, capacity or active flag (pause); effective for the next lead. Admins; managers of its team (members from their teams); another manager for people of their teams in a queue where someone of their teams is a member (FORBIDDEN otherwise).",
        permission_classes=MANAGER,
    )
    async def set_queue_member(
        self, info: Info, queue_id: strawberry.ID, input: QueueMemberInput
    ) -> QueuePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"queue": Queue.of(await queues.set_queue_member(ctx, queue_id, input_dict(input)))}

        return await mutate(QueuePayload, work)

    @strawberry.mutation(
        description="Remove a member; everyone else keeps their turn. Admins and managers of its team; another manager only people of their teams, in a queue where someone of their teams is a member (FORBIDDEN otherwise).",
        permission_classes=MANAGER,
    )
    async def remove_queue_member(
        self, info: Info, queue_id: strawberry.ID, user_id: strawberry.ID
    ) -> QueuePayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"queue": Queue.of(await queues.remove_queue_member(ctx, queue_id, user_id))}

        return await mutate(QueuePayload, work)
