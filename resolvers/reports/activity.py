"""Activities per user (`activityReport`): what each person did in a range
[from, to): notes written, tasks completed, deals moved, messages sent.

The people are the users the caller may see (ADMIN: the workspace's;
MANAGER: their team subtree's members; AGENT: themselves), narrowed by
`teamId` (members of the team or of a team below it). A row per such user
who is active now or did something in the range, ordered by name (then
id). What counts, each by who did it (automations and the API without a
user are nobody's), whatever record it was about:
- notes: `note.added` events of the log in the range;
- tasksCompleted: `task.completed` events in the range;
- dealMoves: stage transitions in the range made by the user (a deal's
  creation, its first transition, is not a move);
- messagesSent: inbox messages the user wrote in the range, OUTBOUND and
  TEXT or TEMPLATE (not internal notes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.models.inbox import Message
from revgraph.models.pipeline import StageTransition
from revgraph.resolvers.context import Context
from revgraph.resolvers.report_measures import check_range
from revgraph.resolvers.reports.deal_scope import narrowed_q
from revgraph.resolvers.visibility import scope_of

# The topics of what activityReport reads (schema/poll.py `report`): the
# log's note.added and task.completed events (activities), stage
# transitions (deal_stages; a creation's, not counted, under deals), inbox
# messages, users and teams.
READS = ("activities", "deals", "deal_stages", "inbox", "people")

NOTE_ADDED, TASK_COMPLETED = "note.added", "task.completed"


@dataclass(frozen=True)
class ActivityRow:
    user: User
    notes: int
    tasks_completed: int
    deal_moves: int
    messages_sent: int


async def _counts(rows_of, user_column: str, key: str | None = None) -> Counter:
    """(user, key) → n of grouped rows; key None: user → n."""
    columns = [user_column] if key is None else [user_column, key]
    rows = await rows_of.annotate(n=Count("id")).group_by(*columns).values(*columns, "n")
    return Counter({(r[user_column] if key is None else (r[user_column], r[key])): r["n"] for r in rows})


async def activity_report(
    ctx: Context, start: datetime, end: datetime, *, team_id: str | None = None
) -> list[ActivityRow]:
    """activityReport: per visible user, their notes, completed tasks,
    deal moves and sent messages in [start, end) (see the module). A
    teamId naming nothing the caller sees is NOT_FOUND; a bad range
    INVALID."""
    ctx.require_actor()
    window = check_range(start, end)
    scope = await scope_of(ctx)
    people = User.filter(scope.owner_q("id") & await narrowed_q(ctx, team_id=team_id, field="id"))
    who = Subquery(people.values("id"))
    in_range = {"at__gte": window.start, "at__lt": window.end, "workspace_id": scope.workspace_id}
    events = await _counts(
        Event.filter(actor_user_id__in=who, kind__in=(NOTE_ADDED, TASK_COMPLETED), **in_range),
        "actor_user_id",
        "kind",
    )
    moves = await _counts(
        StageTransition.filter(actor_user_id__in=who, from_stage_id__isnull=False, **in_range),
        "actor_user_id",
    )
    messages = await _counts(
        Message.filter(author_id__in=who, direction="OUTBOUND", kind__in=("TEXT", "TEMPLATE"), **in_range),
        "author_id",
    )
    busy = {user for user, _ in events} | set(moves) | set(messages)
    rows = [
        ActivityRow(
            user,
            events[user.id, NOTE_ADDED],
            events[user.id, TASK_COMPLETED],
            moves[user.id],
            messages[user.id],
        )
        for user in await people.filter(Q(active=True) | Q(id__in=sorted(busy)))
    ]
    return sorted(rows, key=lambda r: (r.user.name, r.user.id))
