"""Leads by dimension (reports.graphql `leadReport`): the contacts created
in a range [from, to) that the caller may see, counted per bucket.

The contacts are exactly those `contacts(filter:)` lists with the same
filter (the ContactFilter language, resolvers/contact_queries.py) and
`createdAt` in the range: visible to the caller (ADMIN: all; MANAGER:
owned in their team subtree or handed to it through a deal; AGENT: their
own and those of their deals), live (trashed ones, merged duplicates
included, only with `deleted: true`). So every bucket's count can be
checked against a list's totalCount.

Dimensions (a contact without the value is under key "" labelled "—"):
- SOURCE: the contact's `source`.
- MEDIA, CAMPAIGN: of its first touchpoint (the first arrival recorded,
  lowest id).
- OWNER: its owner now (key: the user's id; label: their name).
- TEAM: its owner's team now (key: the team's id; label: its name).
- QUEUE: the roleta of its first assignment (lowest id, whether it was
  assigned or queued; hand assignments outside any roleta are under the
  workspace's MANUAL queue, "Atribuição manual").
- LIFECYCLE_STAGE: its stage now (key: LEAD, MQL...; label in pt-BR).
- DAY, WEEK, MONTH: when it was created, in the workspace's timezone
  (resolvers/reports/periods.py): every period the range touches, in
  calendar order, empty ones included with count 0.
Other dimensions' buckets are ranked by count, largest first, then by
label; empty buckets are left out. `value` is always null.

Counting runs in SQL (grouped, the first touchpoint/assignment found by a
grouped subquery); periods read only the creation times of the range's
contacts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Count, Min
from tortoise.models import Model
from tortoise.queryset import QuerySet

from revgraph.models.distribution import Assignment, Queue, Touchpoint
from revgraph.models.identity import Team, User, Workspace
from revgraph.resolvers.contact_queries import contact_fields, matching_contacts
from revgraph.resolvers.context import Context
from revgraph.resolvers.filter_checks import check_filter
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.report_measures import check_range
from revgraph.resolvers.reports.buckets import Bucket, names_of, none_bucket, ranked
from revgraph.resolvers.reports.periods import PERIODS, count_by_period, zone

# The topics of what it reads (schema/poll.py `report`): contacts, their
# touchpoints and tags, assignments (QUEUE), users and teams, and deals
# for visibility (a deal hands its contact to its owner: `deals`, moved by
# a change of a deal's owner or contact, not by a move of its card).
READS = ("contacts", "deals", "distribution", "people")

SOURCE, MEDIA, CAMPAIGN, OWNER, TEAM, QUEUE, LIFECYCLE_STAGE = (
    "SOURCE",
    "MEDIA",
    "CAMPAIGN",
    "OWNER",
    "TEAM",
    "QUEUE",
    "LIFECYCLE_STAGE",
)
LIFECYCLE_LABELS = {
    "LEAD": "Lead",
    "MQL": "MQL",
    "SQL": "SQL",
    "OPPORTUNITY": "Oportunidade",
    "CUSTOMER": "Cliente",
    "DISQUALIFIED": "Desqualificado",
}


async def _grouped(contacts: QuerySet, column: str) -> Counter:
    """How many of `contacts` have each value of `column` (None and "" alike)."""
    rows = await contacts.annotate(n=Count("id")).group_by(column).values(column, "n")
    counts: Counter = Counter()
    for row in rows:
        counts[row[column] if row[column] not in (None, "") else None] += row["n"]
    return counts


async def _by_first(contacts: QuerySet, model: type[Model], column: str) -> Counter:
    """How many of `contacts` have each value of `column` on their first
    (lowest id) `model` row; None for those without one or without a value."""
    firsts = (
        model.filter(contact_id__in=Subquery(contacts.values("id")))
        .annotate(first_id=Min("id"))
        .group_by("contact_id")
        .values("first_id")
    )
    counts = await _grouped(model.filter(id__in=Subquery(firsts)), column)
    counts[None] += await contacts.count() - sum(counts.values())
    return counts


def _valued(counts: Counter, labels: Mapping[Any, str], type_name: str | None = None) -> list[Bucket]:
    """Buckets from counts by value (None: the "none" bucket), labelled by
    `labels` (the value itself when missing), keyed by the value or, with
    `type_name`, by its global id."""
    buckets = []
    for value, count in counts.items():
        if value is None:
            buckets.append(none_bucket(count))
            continue
        key = encode_id(type_name, value) if type_name else str(value)
        buckets.append(Bucket(key, labels.get(value, str(value)), count))
    return ranked(buckets)


async def _by_owner(contacts: QuerySet, dimension: str) -> list[Bucket]:
    owners = await _grouped(contacts, "owner_id")
    if dimension == OWNER:
        return _valued(owners, await names_of(User, owners), "User")
    team_of = dict(
        await User.filter(id__in=[i for i in owners if i is not None]).values_list("id", "team_id")
    )
    teams: Counter = Counter()
    for owner_id, count in owners.items():
        teams[team_of.get(owner_id)] += count
    return _valued(teams, await names_of(Team, teams), "Team")


async def lead_report(
    ctx: Context,
    dimension: str,
    start: datetime,
    end: datetime,
    *,
    filter: Mapping[str, Any] | None = None,
) -> list[Bucket]:
    """leadReport: the visible contacts created in [start, end) that match
    `filter`, counted by `dimension` (see the module). A bad range or
    filter is INVALID naming the argument."""
    actor = ctx.require_actor()
    window = check_range(start, end)
    fields = await contact_fields(ctx, filter)
    check_filter(filter, fields, ctx.settings.limits, ["filter"])
    contacts = (await matching_contacts(ctx, filter, None, fields)).filter(
        created_at__gte=window.start, created_at__lt=window.end
    )
    if dimension in PERIODS:
        timezone = (await Workspace.get(id=actor.workspace_id)).timezone
        times = await contacts.values_list("created_at", flat=True)
        return count_by_period(dimension, times, window, zone(timezone))
    if dimension == SOURCE:
        return _valued(await _grouped(contacts, "source"), {})
    if dimension == LIFECYCLE_STAGE:
        return _valued(await _grouped(contacts, "lifecycle_stage"), LIFECYCLE_LABELS)
    if dimension in (OWNER, TEAM):
        return await _by_owner(contacts, dimension)
    if dimension in (MEDIA, CAMPAIGN):
        return _valued(await _by_first(contacts, Touchpoint, dimension.lower()), {})
    if dimension == QUEUE:
        queues = await _by_first(contacts, Assignment, "queue_id")
        return _valued(queues, await names_of(Queue, queues), "Queue")
    raise ValueError(f"unknown lead dimension {dimension}")
