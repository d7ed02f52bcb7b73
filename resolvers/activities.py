"""Tasks and notes: the work done around a contact, each written to the
contact's timeline.

A task is edited (title, due time, assignee) by whoever may read it, under
the assignment rules of createTask; a done task is reopened first. A stage
that requires a scheduled task checks it when a deal enters the stage
(stage_gates.py), not afterwards: moving that task's due time into the past,
completing it or reassigning it later does not move the deal back, exactly
as completing it never did."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from revgraph.models.automation import OverdueTaskMark
from revgraph.models.crm import Note, Task
from revgraph.models.events import Event
from revgraph.models.identity import User, Workspace
from revgraph.models.pipeline import Deal
from revgraph.resolvers import filtering as f
from revgraph.resolvers.contacts import find_contact
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.distribution.assign import record_first_contact
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.i18n import N_, TIME_ZONE, Listing, Message, Moment, _
from revgraph.resolvers.ids import decode_id, encode_id, pk_of
from revgraph.resolvers.ownership import actor_name, assignable_user
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.validation import required_text
from revgraph.resolvers.visibility import named_record, scope_of, task_q

TASK_ORDER = [SortKey("id", kind="int")]
MAX_NOTE_LENGTH = 20_000


def _check_done(value: Any, _limits: Any, path: list[str]) -> None:
    if not isinstance(value, bool):
        raise DomainError("INVALID", _("Send true or false."), path)


# TaskFilter fields: what each one tests (resolvers/filtering.py).
TASK_FIELDS: f.FieldMap = {
    "title": f.FieldSpec("title", f.STRING),
    "done": f.FieldSpec(
        "done",
        "boolean",
        custom=lambda done: Q(done=bool(done)),
        evaluate=lambda wanted, have: bool(wanted) == bool(have),
        check=_check_done,
    ),
    "assignee_id": f.FieldSpec("assignee_id", f.ID, "User"),
    "contact_id": f.FieldSpec("contact_id", f.ID, "Contact"),
    "deal_id": f.FieldSpec("deal_id", f.ID, "Deal"),
    "due_at": f.FieldSpec("due_at", f.DATETIME),
    "created_at": f.FieldSpec("created_at", f.DATETIME),
}


async def list_tasks(
    ctx: Context,
    *,
    filter: Mapping[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
    with_total: bool = False,
) -> Page:
    """Tasks the caller may see (assigned in their scope, or about a contact
    or deal they see), filtered, oldest first."""
    check_filter(filter, TASK_FIELDS, ctx.settings.limits, ["filter"])
    query = (await visible_tasks(ctx)).filter(f.filter_q(filter, TASK_FIELDS))
    return await paginate_for(ctx, query, TASK_ORDER, first=first, after=after, with_total=with_total)


async def visible_tasks(ctx: Context) -> QuerySet:
    return Task.filter(task_q(await scope_of(ctx)))


async def get_task(ctx: Context, pk: int) -> Task | None:
    return await (await visible_tasks(ctx)).filter(id=pk).first()


async def contact_tasks(
    ctx: Context, contact_id: int, *, first: int | None, after: str | None, with_total: bool = False
) -> Page:
    """Tasks of a contact the caller can see (all of them are visible
    through the contact), oldest first."""
    return await paginate_for(
        ctx,
        Task.filter(workspace_id=ctx.require_actor().workspace_id, contact_id=contact_id),
        TASK_ORDER,
        first=first,
        after=after,
        with_total=with_total,
    )


async def _deal_ref(ctx: Context, deal_id: str | None, field: list[str]) -> Deal | None:
    """A live deal the caller can see, or NOT_FOUND."""
    if deal_id is None:
        return None
    return await named_record(ctx, Deal, deal_id, field)


def _due(value: Any) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


async def create_task(ctx: Context, data: Mapping[str, Any]) -> Task:
    """A to-do assigned to the caller unless another assignee is named (same
    rules as owners). `dueAt` may be in the past: an already overdue return."""
    actor = ctx.require_actor()
    scope = await scope_of(ctx)
    title = required_text(data.get("title"), ["input", "title"], max_length=300, what=_("Title"))
    assignee_id = (
        await assignable_user(ctx, scope, data["assignee_id"], ["input", "assigneeId"])
        if data.get("assignee_id") is not None
        else actor.user_id
    )
    contact = (
        await find_contact(ctx, data["contact_id"], ["input", "contactId"])
        if data.get("contact_id") is not None
        else None
    )
    deal = await _deal_ref(ctx, data.get("deal_id"), ["input", "dealId"])
    deal_id = deal.id if deal else None
    if contact is None and deal is not None:
        contact_id = deal.contact_id  # a deal's task shows on its contact's timeline too
    else:
        contact_id = contact.id if contact else None
    async with unit_of_work():
        task = await Task.create(
            workspace_id=actor.workspace_id,
            title=title,
            due_at=_due(data.get("due_at")),
            assignee_id=assignee_id,
            contact_id=contact.id if contact else None,
            deal_id=deal_id,
            created_by_id=actor.user_id,
        )
        await record_event(
            actor,
            actor.workspace_id,
            "task.created",
            N_("{actor} created task {title}", actor=await actor_name(ctx), title=title),
            data={
                "taskId": encode_id("Task", task.id),
                "title": title,
                "dueAt": task.due_at.isoformat() if task.due_at else None,
                "assigneeId": encode_id("User", assignee_id),
            },
            contact_id=contact_id,
            deal_id=deal_id,
        )
    return task


async def complete_task(ctx: Context, task_id: str) -> Task:
    """Mark a visible task done. Completing a done task is a no-op (no second
    event), so a retried request is safe."""
    actor = ctx.require_actor()
    task = await named_record(ctx, Task, task_id, ["id"])
    if task.done:
        return task
    async with unit_of_work():
        # Conditional update: of two concurrent completions only one records.
        now = datetime.now(UTC)
        changed = await Task.filter(id=task.id, done=False).update(done=True, done_at=now)
        task.done, task.done_at = True, now
        if changed:
            await record_first_contact(actor, contact_id=task.contact_id, deal_id=task.deal_id, at=now)
            await _record_task_event(
                actor,
                task,
                "task.completed",
                N_("{actor} completed task {task}", actor=await actor_name(ctx), task=task.title),
            )
    return task


async def _record_task_event(actor: Actor, task: Task, kind: str, summary: Message, **data: Any) -> None:
    """An event of an existing task, on its contact's and deal's timelines;
    its data carries the task's id and title, then `data`."""
    await record_event(
        actor,
        actor.workspace_id,
        kind,
        summary,
        data={"taskId": encode_id("Task", task.id), "title": task.title, **data},
        contact_id=task.contact_id,
        deal_id=task.deal_id,
    )


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def update_task(ctx: Context, task_id: str, data: Mapping[str, Any]) -> Task:
    """Change a visible open task's title, due time or assignee (the
    assignee under createTask's rules; null unassigns, not for agents). A
    done task is RULE_VIOLATION: reopen it first. A new due time may be
    announced overdue again. Nothing changed records nothing."""
    actor = ctx.require_actor()
    task = await named_record(ctx, Task, task_id, ["id"])
    wanted: dict[str, Any] = {}
    if "title" in data:
        wanted["title"] = required_text(data["title"], ["input", "title"], max_length=300, what=_("Title"))
    if "due_at" in data:
        wanted["due_at"] = _due(data["due_at"])
    if "assignee_id" in data:
        same = data["assignee_id"] is not None and pk_of(data["assignee_id"], "User") == task.assignee_id
        wanted["assignee_id"] = (
            task.assignee_id
            if same  # keeping whoever has it, even outside the caller's scope
            else await assignable_user(ctx, await scope_of(ctx), data["assignee_id"], ["input", "assigneeId"])
        )
    # Due times are said in the workspace's zone, as the app shows them.
    zone = (await Workspace.get(id=actor.workspace_id)).timezone if "due_at" in wanted else None
    async with unit_of_work():
        task = await Task.filter(id=task.id).select_for_update().get()
        if task.done:
            raise DomainError("RULE_VIOLATION", _("This task is done: reopen it before changing it."), ["id"])
        changes = {
            column: (getattr(task, column), value)
            for column, value in wanted.items()
            if getattr(task, column) != value
        }
        if not changes:
            return task
        for column, (_old, value) in changes.items():
            setattr(task, column, value)
        await task.save(update_fields=list(changes))
        if "due_at" in changes:
            # The new due time is a new deadline, announced when it passes.
            await OverdueTaskMark.filter(task_id=task.id).delete()
        await _record_task_event(
            actor,
            task,
            "task.updated",
            N_(
                "{actor} changed task {task}: {changes}",
                actor=await actor_name(ctx),
                task=changes["title"][0] if "title" in changes else task.title,
                changes=Listing(
                    [await _task_change(column, new, zone) for column, (_old, new) in changes.items()]
                ),
            ),
            changes={TASK_FIELD_NAMES[c]: _shown_change(c, old, new) for c, (old, new) in changes.items()},
        )
    return task


# A task column -> its name in the API (and in task.updated's changes).
TASK_FIELD_NAMES = {"title": "title", "due_at": "dueAt", "assignee_id": "assigneeId"}


def _shown_change(column: str, old: Any, new: Any) -> dict[str, Any]:
    if column == "due_at":
        return {"from": _instant(old), "to": _instant(new)}
    if column == "assignee_id":
        return {
            "from": encode_id("User", old) if old is not None else None,
            "to": encode_id("User", new) if new is not None else None,
        }
    return {"from": old, "to": new}


async def _task_change(column: str, new: Any, zone: str | None) -> Message:
    if column == "title":
        return N_("title {title}", title=new)
    if column == "due_at":
        return N_("due {when}", when=Moment(new, zone or TIME_ZONE)) if new is not None else N_("no due time")
    if new is None:
        return N_("unassigned")
    names = await User.filter(id=new).values_list("name", flat=True)
    return N_("assignee {name}", name=names[0] if names else "?")


async def reopen_task(ctx: Context, task_id: str) -> Task:
    """Open a visible done task again (it shows in the lists of open tasks
    and may be edited and completed again). Reopening an open task is a
    no-op, so a retried request is safe."""
    actor = ctx.require_actor()
    task = await named_record(ctx, Task, task_id, ["id"])
    if not task.done:
        return task
    async with unit_of_work():
        changed = await Task.filter(id=task.id, done=True).update(done=False, done_at=None)
        task.done, task.done_at = False, None
        if changed:
            # Overdue again if its due time has passed: a new deadline to announce.
            await OverdueTaskMark.filter(task_id=task.id).delete()
            await _record_task_event(
                actor,
                task,
                "task.reopened",
                N_("{actor} reopened task {task}", actor=await actor_name(ctx), task=task.title),
            )
    return task


async def add_note(ctx: Context, data: Mapping[str, Any]) -> Event:
    """Write a note on a contact the caller can see; returns its timeline event."""
    actor = ctx.require_actor()
    body = required_text(
        data.get("body"), ["input", "body"], max_length=MAX_NOTE_LENGTH, what=_("Body"), multiline=True
    )
    subject = decode_id(data.get("subject_id"))
    if subject is None or subject[0] not in ("Contact", "Deal"):
        raise NotFound(_("Contact or deal"), ["input", "subjectId"])
    if subject[0] == "Deal":
        deal = await _deal_ref(ctx, data.get("subject_id"), ["input", "subjectId"])
        contact_id, deal_id = deal.contact_id, deal.id
    else:
        contact = await find_contact(ctx, data.get("subject_id"), ["input", "subjectId"])
        contact_id, deal_id = contact.id, None
    async with unit_of_work():
        note = await Note.create(
            workspace_id=actor.workspace_id,
            body=body,
            contact_id=contact_id,
            deal_id=deal_id,
            author_id=actor.user_id,
        )
        await record_first_contact(actor, contact_id=contact_id, deal_id=deal_id, at=datetime.now(UTC))
        first_line = body.splitlines()[0]
        short = first_line if len(first_line) <= 80 else first_line[:79] + "…"
        return await record_event(
            actor,
            actor.workspace_id,
            "note.added",
            N_("{actor} added a note: {short}", actor=await actor_name(ctx), short=short),
            data={"noteId": note.id, "body": body},
            contact_id=contact_id,
            deal_id=deal_id,
        )
