"""GraphQL surface of tasks, notes and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from revgraph.resolvers import activities, loaders
from revgraph.resolvers.events import shown_data, summary_of
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.pagination import Page
from revgraph.resolvers.visibility import sees_contact
from revgraph.schema.common import (
    FILTER_LIMITS,
    DateTimeFilter,
    IDFilter,
    Node,
    PageInfo,
    StringFilter,
    UserError,
    ctx_of,
    input_dict,
    mutate,
    query,
    selects,
)
from revgraph.schema.connections import Ahead, Connection, build, preload_page
from revgraph.schema.identity import User
from revgraph.schema.lean_execution import loaded_or_later
from revgraph.schema.permissions import AUTHENTICATED

if TYPE_CHECKING:
    from revgraph.schema.contacts import Contact
    from revgraph.schema.deals import Deal

LazyContact = Annotated["Contact", strawberry.lazy("revgraph.schema.contacts")]


@strawberry.type(description="A to-do with an optional due date, assigned to a user, about a contact.")
class Task(Node):
    title: str = strawberry.field(description="What to do.")
    due_at: datetime | None = strawberry.field(description="When it is due; may be in the past (overdue).")
    done: bool = strawberry.field(description="Completed (see completeTask; reopenTask opens it again).")
    row: strawberry.Private[Any]

    @strawberry.field(description="Who should do it.")
    def assignee(self, info: Info) -> User | None:
        # At once over the assignees a page loaded ahead (task_page).
        if self.row.assignee_id is None:
            return None
        return loaded_or_later(loaders.users(ctx_of(info)), self.row.assignee_id, User.of_row, shared=True)

    @strawberry.field(description="The contact it is about; null if none or not visible to the caller.")
    async def contact(self, info: Info) -> LazyContact | None:
        from revgraph.schema.contacts import Contact

        if self.row.contact_id is None:
            return None
        ctx = ctx_of(info)
        row = await loaders.contacts(ctx).load(self.row.contact_id)
        if row is None or not await sees_contact(ctx, row):
            return None
        return Contact.of(row)

    @strawberry.field(description="The deal it is about; null if none or not visible to the caller.")
    async def deal(self, info: Info) -> Annotated[Deal, strawberry.lazy("revgraph.schema.deals")] | None:
        from revgraph.schema.deals import Deal, visible_deal

        if self.row.deal_id is None:
            return None
        row = await visible_deal(ctx_of(info), self.row.deal_id)
        return Deal.of(row) if row else None

    @classmethod
    def of(cls, row: Any) -> Task:
        return cls(
            id=strawberry.ID(encode_id("Task", row.id)),
            title=row.title,
            due_at=row.due_at,
            done=row.done,
            row=row,
        )


@strawberry.type(
    description="One entry of the append-only event log: a change, interaction or note, never edited."
)
class TimelineEvent(Node):
    kind: str = strawberry.field(
        description='What happened: "contact.created", "contact.updated", "note.added", "task.created", "task.updated", "task.completed", "task.reopened", "contact.merged", "deal.stage_changed", ...'
    )
    at: datetime = strawberry.field(description="When it happened.")
    summary: str = strawberry.field(description="One human-readable line.")
    data: JSON = strawberry.field(
        description='Details; for "contact.updated": {"changes": {field: {"from": old, "to": new}}}.'
    )
    row: strawberry.Private[Any]

    # actor and actorLabel answer at once over the users a page loaded
    # ahead (timeline_page).
    @strawberry.field(description="Who did it; null for the system or an automation.")
    def actor(self, info: Info) -> User | None:
        if self.row.actor_user_id is None:
            return None
        return loaded_or_later(loaders.users(ctx_of(info)), self.row.actor_user_id, User.of_row, shared=True)

    @strawberry.field(
        description="Who did it, as a name to show: the user's name, the automation rule (\"Automation 'Name'\"), or null for the system."
    )
    def actor_label(self, info: Info) -> str | None:
        if self.row.actor_label:
            return self.row.actor_label
        if self.row.actor_user_id is None:
            return None
        return loaded_or_later(loaders.users(ctx_of(info)), self.row.actor_user_id, _user_name, shared=True)

    @classmethod
    def of(cls, row: Any) -> TimelineEvent:
        return cls(
            id=strawberry.ID(encode_id("TimelineEvent", row.id)),
            kind=row.kind,
            at=row.at,
            summary=summary_of(row),
            data=shown_data(row.data),
            row=row,
        )


@strawberry.type(name="TaskConnection", description="A page of tasks.")
class TaskConnection(Connection[Task]):
    pass


@strawberry.type(name="TimelineEdge", description="A timeline event with its cursor.")
class TimelineEdge:
    cursor: str = strawberry.field(description="Opaque position; pass as `after`.")
    node: TimelineEvent = strawberry.field(description="The event.")


@strawberry.type(name="TimelineConnection", description="A page of timeline events, newest first.")
class TimelineConnection:
    edges: list[TimelineEdge] = strawberry.field(description="The events of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Where this page is in the whole timeline.")
    page: strawberry.Private[Page]

    @strawberry.field(description="Number of events in the whole timeline.")
    async def total_count(self) -> int:
        return await self.page.total_count()


def _user_name(row: Any) -> str | None:
    return row.name if row else None


def task_connection(page: Page) -> TaskConnection:
    return build(TaskConnection, page, Task.of)


async def task_page(info: Info, page: Page) -> TaskConnection:
    """A page of tasks, its assignees loaded in one batch when asked for."""
    await preload_page(info, page.items, Ahead("assignee", loaders.users, "assignee_id"))
    return task_connection(page)


def timeline_connection(page: Page) -> TimelineConnection:
    return build(TimelineConnection, page, TimelineEvent.of, TimelineEdge)


async def timeline_page(info: Info, page: Page) -> TimelineConnection:
    """A page of the timeline, the users who acted loaded in one batch
    when `actor` or `actorLabel` is asked for."""
    await preload_page(
        info,
        page.items,
        Ahead("actor", loaders.users, "actor_user_id"),
        Ahead("actorLabel", loaders.users, "actor_user_id"),
    )
    return timeline_connection(page)


@strawberry.input(
    description="A note on a contact or a deal (a deal's note also shows on its contact's timeline)."
)
class NoteInput:
    subject_id: strawberry.ID = strawberry.field(description="The contact or deal the note is about.")
    body: str = strawberry.field(description="The text; not blank, at most 20,000 characters.")


@strawberry.input(description="A new task. dueAt may be in the past (a return that is already overdue).")
class TaskInput:
    title: str = strawberry.field(description="What to do; not blank, at most 300 characters.")
    due_at: datetime | None = strawberry.field(default=strawberry.UNSET, description="When it is due.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Who should do it (default: the caller). Agents may only assign themselves.",
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The contact it is about (must be visible to the caller)."
    )
    deal_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The deal it is about."
    )


@strawberry.input(
    description="Changes to a task: only the fields sent change. dueAt may be in the past; null clears it."
)
class TaskUpdateInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="What to do; not blank, at most 300 characters."
    )
    due_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When it is due; null: no due time."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Who should do it, under createTask's rules: agents may only name themselves, managers someone of their teams; null unassigns (not for agents).",
    )


@strawberry.input(
    description="Which tasks to list: every field given must hold; combine with and/or/not. " + FILTER_LIMITS
)
class TaskFilter:
    and_: list[TaskFilter] | None = strawberry.field(
        name="and", default=strawberry.UNSET, description="All of these hold."
    )
    or_: list[TaskFilter] | None = strawberry.field(
        name="or", default=strawberry.UNSET, description="At least one of these holds."
    )
    not_: TaskFilter | None = strawberry.field(
        name="not", default=strawberry.UNSET, description="This does not hold."
    )
    title: StringFilter | None = strawberry.field(default=strawberry.UNSET, description="What to do.")
    done: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Completed (true) or not (false)."
    )
    assignee_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="Who should do it (a User id)."
    )
    contact_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The contact it is about (a Contact id)."
    )
    deal_id: IDFilter | None = strawberry.field(
        default=strawberry.UNSET, description="The deal it is about (a Deal id)."
    )
    due_at: DateTimeFilter | None = strawberry.field(default=strawberry.UNSET, description="When it is due.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=strawberry.UNSET, description="When it was created."
    )


@strawberry.type
class ActivitiesQuery:
    @strawberry.field(
        description="Tasks the caller may see (assigned to someone in their scope, or about a contact or deal they see), oldest first. `first` defaults to 50 and may be at most 100 (more is LIMIT_EXCEEDED).",
        permission_classes=AUTHENTICATED,
    )
    async def tasks(
        self, info: Info, filter: TaskFilter | None = None, first: int | None = None, after: str | None = None
    ) -> TaskConnection:
        page = await query(
            activities.list_tasks(
                ctx_of(info),
                filter=input_dict(filter),
                first=first,
                after=after,
                with_total=selects(info, "totalCount"),
            )
        )
        return await task_page(info, page)


@strawberry.type(description="Result of createTask / updateTask / completeTask / reopenTask.")
class TaskPayload:
    task: Task | None = strawberry.field(default=None, description="The task as changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type(description="Result of addNote: the note's timeline event.")
class TimelineEventPayload:
    event: TimelineEvent | None = strawberry.field(default=None, description="The recorded event.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed.")


@strawberry.type
class ActivitiesMutation:
    @strawberry.mutation(
        description="Write a note on a contact the caller can see; it appears on the contact's timeline.",
        permission_classes=AUTHENTICATED,
    )
    async def add_note(self, info: Info, input: NoteInput) -> TimelineEventPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"event": TimelineEvent.of(await activities.add_note(ctx, input_dict(input)))}

        return await mutate(TimelineEventPayload, work)

    @strawberry.mutation(
        description="Create a task, assigned to the caller unless assigneeId says otherwise.",
        permission_classes=AUTHENTICATED,
    )
    async def create_task(self, info: Info, input: TaskInput) -> TaskPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"task": Task.of(await activities.create_task(ctx, input_dict(input)))}

        return await mutate(TaskPayload, work)

    @strawberry.mutation(
        description="Mark a task done. Completing a task that is already done changes nothing and is not an error.",
        permission_classes=AUTHENTICATED,
    )
    async def complete_task(self, info: Info, id: strawberry.ID) -> TaskPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"task": Task.of(await activities.complete_task(ctx, id))}

        return await mutate(TaskPayload, work)

    @strawberry.mutation(
        description="Change a task the caller can see: title, due time, assignee (only the fields sent). A done task is RULE_VIOLATION on id: reopen it first. Records task.updated when something changed.",
        permission_classes=AUTHENTICATED,
    )
    async def update_task(self, info: Info, id: strawberry.ID, input: TaskUpdateInput) -> TaskPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"task": Task.of(await activities.update_task(ctx, id, input_dict(input)))}

        return await mutate(TaskPayload, work)

    @strawberry.mutation(
        description="Open a done task again (task.reopened). Reopening an open task changes nothing and is not an error.",
        permission_classes=AUTHENTICATED,
    )
    async def reopen_task(self, info: Info, id: strawberry.ID) -> TaskPayload:
        ctx = ctx_of(info)

        async def work() -> dict[str, Any]:
            return {"task": Task.of(await activities.reopen_task(ctx, id))}

        return await mutate(TaskPayload, work)
