"""Distribution per roleta and member (`distributionReport`): the leads
assigned in a range [from, to), per queue and the member they went to, how
many of those were worked and how long the first contact took.

Rows come from Assignment: an assignment counts when it was assigned
(`assigned_at`, not merely queued) in the range, to a user the caller may
see (ADMIN: anyone; MANAGER: their team subtree's members; AGENT:
themselves); `queueId` narrows to one queue (hand assignments outside any
roleta are under the workspace's MANUAL queue).
- assigned: those assignments.
- worked: those whose lead was worked since (`worked_at` set: the first
  contact its assignee recorded — a note, a task done, a reply, a move —
  up to the query).
- firstContact: DurationStats of worked_at − assigned_at over the worked
  ones, in whole seconds.
Rows are ordered by queue name (then id), then most assigned first, then
by member name (then id)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from revgraph.models.distribution import Assignment, Queue
from revgraph.models.identity import User
from revgraph.resolvers.context import Context
from revgraph.resolvers.report_measures import DurationStats, check_range, duration_stats
from revgraph.resolvers.reports.periods import aware
from revgraph.resolvers.visibility import named_record, scope_of

# The topics of what distributionReport reads (schema/poll.py `report`):
# assignments and queues; `worked_at`, which the first contact sets — a
# move, a note or a task done, an inbox reply (record_first_contact) —
# under those use cases' topics; users (visibility, names).
READS = ("distribution", "deal_stages", "activities", "inbox", "people")


@dataclass(frozen=True)
class DistributionRow:
    queue: Queue
    member: User
    assigned: int
    worked: int
    first_contact: DurationStats


async def distribution_report(
    ctx: Context, start: datetime, end: datetime, *, queue_id: str | None = None
) -> list[DistributionRow]:
    """distributionReport: the assignments made in [start, end) to users
    the caller may see, per queue and member (see the module). A queueId
    naming nothing the caller sees is NOT_FOUND; a bad range INVALID."""
    ctx.require_actor()
    window = check_range(start, end)
    scope = await scope_of(ctx)
    assignments = Assignment.filter(
        scope.owner_q("user_id"),
        user_id__isnull=False,
        assigned_at__gte=window.start,
        assigned_at__lt=window.end,
    )
    if queue_id is not None:
        queue = await named_record(ctx, Queue, queue_id, ["queueId"], live=False)
        assignments = assignments.filter(queue_id=queue.id)
    rows = await assignments.values("queue_id", "user_id", "assigned_at", "worked_at")
    assigned: dict[tuple[int, int], int] = defaultdict(int)
    waits: dict[tuple[int, int], list[int]] = defaultdict(list)
    for row in rows:
        pair = (row["queue_id"], row["user_id"])
        assigned[pair] += 1
        if row["worked_at"] is not None:
            waited = (aware(row["worked_at"]) - aware(row["assigned_at"])).total_seconds()
            waits[pair].append(max(0, int(waited)))
    queues = {q.id: q for q in await Queue.filter(id__in=sorted({q for q, _ in assigned}))}
    users = {u.id: u for u in await User.filter(id__in=sorted({u for _, u in assigned}))}
    found = [
        DistributionRow(queues[q], users[u], count, len(waits[q, u]), duration_stats(waits[q, u]))
        for (q, u), count in assigned.items()
    ]
    return sorted(found, key=lambda r: (r.queue.name, r.queue.id, -r.assigned, r.member.name, r.member.id))
