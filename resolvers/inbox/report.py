"""The inbox report (inboxReport): the conversations created in a range
that the caller may see, optionally narrowed to one inbox, one team's
subtree or one assignee, and what the metrics ledger
(ConversationSegment, resolvers/inbox/metrics.py) measured of them:
first response, waits (TME), handle time (TMA) and resolution, in
wall-clock seconds; their SLA outcome and their CSAT answers.

Every figure is about the same set of conversations (a conversation's
segments count whenever they ended). Statistics are computed in Python
from the ledger's seconds (resolvers/report_measures.py), so SQLite and
PostgreSQL answer the same."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from revgraph.models.identity import Team, User
from revgraph.models.inbox import Conversation, ConversationSegment, Inbox
from revgraph.resolvers.context import Context
from revgraph.resolvers.inbox import sla
from revgraph.resolvers.poll_cache import answer_changes_at
from revgraph.resolvers.report_measures import DurationStats, check_range, duration_stats
from revgraph.resolvers.visibility import conversation_q, named_record, scope_of, team_subtree_members

# The topics of what inboxReport reads (schema/poll.py `report`; its answer
# also expires with the SLA clock: answer_changes_at): conversations, their
# segments and inboxes, SLA policies, users and teams.
READS = ("inbox", "people")

# The ledger's kinds, in the report's order.
FIRST_RESPONSE, WAIT, HANDLE, RESOLUTION = "FIRST_RESPONSE", "WAIT", "HANDLE", "RESOLUTION"
ID_CHUNK = 900


@dataclass(frozen=True)
class InboxReport:
    conversations: int
    resolved: int
    first_response: DurationStats
    wait_time: DurationStats
    handle_time: DurationStats
    resolution: DurationStats
    sla_met: int
    sla_breached: int
    csat_average: float | None
    csat_responses: int


async def reported_conversations(
    ctx: Context,
    start: datetime,
    end: datetime,
    *,
    inbox_id: str | None = None,
    team_id: str | None = None,
    assignee_id: str | None = None,
) -> Q:
    """The condition for the report's conversations: visible to the caller,
    created in [start, end), narrowed by the ids given (each must name a
    record the caller sees: NOT_FOUND otherwise)."""
    q = conversation_q(await scope_of(ctx)) & Q(created_at__gte=start, created_at__lt=end)
    if inbox_id is not None:
        inbox = await named_record(ctx, Inbox, inbox_id, ["inboxId"])
        q &= Q(inbox_id=inbox.id)
    if team_id is not None:
        team = await named_record(ctx, Team, team_id, ["teamId"])
        q &= Q(assignee_id__in=await team_subtree_members(team))
    if assignee_id is not None:
        user = await named_record(ctx, User, assignee_id, ["assigneeId"])
        q &= Q(assignee_id=user.id)
    return q


def _recorded_breach(recorded: Any) -> bool:
    """Whether the SLA timer recorded a BREACHED transition (keys
    [target, index, kind], resolvers/inbox/sla.py check_due)."""
    return any(isinstance(key, list) and key[-1:] == ["breached"] for key in recorded or ())


async def _paused_breaches(ctx: Context, conversation_ids: list[int], now: datetime) -> set[int]:
    """Of snoozed conversations (stored state PAUSED, which hides a breach),
    those whose SLA was missed or whose running deadline has passed. The
    next deadline to pass changes the answer with no logged change: a
    cached copy of it lasts until then (resolvers/poll_cache.py)."""
    breached: set[int] = set()
    policies: dict[int, Any] = {}
    for at in range(0, len(conversation_ids), ID_CHUNK):
        for conversation in await Conversation.filter(id__in=conversation_ids[at : at + ID_CHUNK]):
            if conversation.inbox_id not in policies:
                policies[conversation.inbox_id] = await sla.policy_of(conversation.inbox_id)
            policy, calendar = policies[conversation.inbox_id]
            if policy is None:
                continue
            result = sla.computed(conversation, policy, calendar)
            deadlines = result.running_deadlines()
            if result.breached or any(due <= now for due in deadlines):
                breached.add(conversation.id)
            elif deadlines:
                answer_changes_at(ctx, min(deadlines))
    return breached


async def inbox_report(
    ctx: Context,
    start: datetime,
    end: datetime,
    *,
    inbox_id: str | None = None,
    team_id: str | None = None,
    assignee_id: str | None = None,
) -> InboxReport:
    """inboxReport: see the module. slaBreached counts conversations whose
    SLA state is BREACHED, or that had a breach recorded, or that are
    snoozed with a target missed; slaMet the MET ones without any breach."""
    ctx.require_actor()
    window = check_range(start, end)
    q = await reported_conversations(
        ctx, window.start, window.end, inbox_id=inbox_id, team_id=team_id, assignee_id=assignee_id
    )
    rows = await Conversation.filter(q).values("id", "status", "sla_state", "sla_recorded", "csat_rating")
    paused = [r["id"] for r in rows if r["sla_state"] == "PAUSED" and not _recorded_breach(r["sla_recorded"])]
    breached_while_paused = await _paused_breaches(ctx, paused, datetime.now(UTC)) if paused else set()
    breached = {
        r["id"]
        for r in rows
        if r["sla_state"] == "BREACHED"
        or _recorded_breach(r["sla_recorded"])
        or r["id"] in breached_while_paused
    }
    seconds: dict[str, list[int]] = defaultdict(list)
    ids = [r["id"] for r in rows]
    # By the ids read above, so a conversation created meanwhile adds no
    # segments to a report that does not count it (chunks: SQLite's limit
    # of bound variables).
    for at in range(0, len(ids), ID_CHUNK):
        segments = ConversationSegment.filter(conversation_id__in=ids[at : at + ID_CHUNK])
        for kind, value in await segments.values_list("kind", "seconds"):
            seconds[kind].append(value)
    ratings = [r["csat_rating"] for r in rows if r["csat_rating"] is not None]
    return InboxReport(
        conversations=len(rows),
        resolved=sum(1 for r in rows if r["status"] == "RESOLVED"),
        first_response=duration_stats(seconds[FIRST_RESPONSE]),
        wait_time=duration_stats(seconds[WAIT]),
        handle_time=duration_stats(seconds[HANDLE]),
        resolution=duration_stats(seconds[RESOLUTION]),
        sla_met=sum(1 for r in rows if r["sla_state"] == "MET" and r["id"] not in breached),
        sla_breached=len(breached),
        csat_average=round(sum(ratings) / len(ratings), 2) if ratings else None,
        csat_responses=len(ratings),
    )
