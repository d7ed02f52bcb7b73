"""Appointments (`appointmentReport`): the agendamentos — visits, calls,
meetings — scheduled for a range [from, to), from tasks.

Tasks carry no kind: an appointment is a task with a due date and time,
the same thing a stage's "requires a scheduled task" gate asks for
(resolvers/stage_gates.py). A task counts when its due time is in the
range, done or not, and the caller may see it (resolvers/visibility.py
task_q: assigned in scope, or about a contact or deal in scope); teamId
and ownerId narrow by its assignee.

Dimensions: DAY, WEEK, MONTH of the due time in the workspace's timezone
(resolvers/reports/periods.py: every period the range touches, in calendar
order, empty ones included); OWNER: the assignee (key the User id, label
their name; unassigned tasks under key "" labelled "—"), largest count
first, then by name. `value` is null."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tortoise.functions import Count

from revgraph.models.crm import Task
from revgraph.models.identity import User, Workspace
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.report_measures import check_range
from revgraph.resolvers.reports.buckets import Bucket, names_of, none_bucket, ranked
from revgraph.resolvers.reports.deal_scope import narrowed_q
from revgraph.resolvers.reports.periods import PERIODS, count_by_period, zone
from revgraph.resolvers.visibility import scope_of, task_q

# The topics of what appointmentReport reads (schema/poll.py `report`):
# tasks, and who sees them (their assignee, their contact's owner, their
# deal's owner: task_q), users and teams, the workspace's time zone.
READS = ("activities", "contacts", "deals", "people")

OWNER = "OWNER"


async def appointment_report(
    ctx: Context,
    dimension: str,
    start: datetime,
    end: datetime,
    *,
    team_id: str | None = None,
    owner_id: str | None = None,
) -> list[Bucket]:
    """appointmentReport: the visible tasks due in [start, end) by
    `dimension` (see the module). An id naming nothing the caller sees is
    NOT_FOUND on its argument; a bad range INVALID."""
    actor = ctx.require_actor()
    window = check_range(start, end)
    narrowed = await narrowed_q(ctx, team_id=team_id, owner_id=owner_id, field="assignee_id")
    tasks = Task.filter(
        task_q(await scope_of(ctx)) & narrowed, due_at__gte=window.start, due_at__lt=window.end
    )
    if dimension in PERIODS:
        timezone = (await Workspace.get(id=actor.workspace_id)).timezone
        times = await tasks.values_list("due_at", flat=True)
        return count_by_period(dimension, times, window, zone(timezone))
    if dimension != OWNER:
        raise ValueError(f"unknown appointment dimension {dimension}")
    counts = Counter(
        {
            row["assignee_id"]: row["n"]
            for row in await tasks.annotate(n=Count("id")).group_by("assignee_id").values("assignee_id", "n")
        }
    )
    names = await names_of(User, counts)
    return ranked(
        Bucket(encode_id("User", user_id), names.get(user_id, ""), count)
        if user_id is not None
        else none_bucket(count)
        for user_id, count in counts.items()
    )
