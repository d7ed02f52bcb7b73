"""Deals created, won and lost (reports.graphql `dealReport`): over a range
[from, to), per bucket of a dimension, how many deals were created, won
and lost, with their values.

The deals are those of resolvers/reports/deal_scope.py (live, visible to
the caller by their owner now, narrowed by teamId/ownerId) and, with a
pipeline, in that pipeline now. Like the funnel, history comes from
StageTransition:
- created: deals whose creation (their first row, without `from_stage`)
  is in the range;
- won / lost: distinct deals with a row in the range into a WON / LOST
  stage (of the pipeline, or of any pipeline without one); a deal won and
  lost in the range is in both, so with a pipeline the totals of `won` and
  `lost` are the funnel's.
Values are the deals' values now, summed in the workspace's currency
(resolvers/reports/money.py).

Dimensions (a deal without the value is under key "" labelled "—"):
- OWNER: its owner now (User id, their name); TEAM: its owner's team now
  (Team id, its name); SOURCE: its contact's source now; DEVELOPMENT: its
  empreendimento now (Development id, its name); STAGE: its stage now
  (Stage id, its name). Buckets with a figure only, most deals first
  (created + won + lost), then by label.
- DAY, WEEK, MONTH (workspace timezone, resolvers/reports/periods.py): when
  it happened: a creation in the period of its creation, a win or a loss in
  that of the deal's first entry into a WON / LOST stage in the range.
  Every period the range touches, in calendar order, empty ones included.

Reads are bounded by the range: the transitions in it (creations and
entries into closing stages), then the attributes of the deals they name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q, Subquery

from revgraph.models.developments import Development
from revgraph.models.identity import Team, User, Workspace
from revgraph.models.pipeline import Deal, Pipeline, Stage, StageTransition
from revgraph.resolvers.context import Context
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.report_measures import check_range
from revgraph.resolvers.reports.buckets import NONE_KEY, NONE_LABEL, names_of
from revgraph.resolvers.reports.deal_scope import deal_rows, reported_deals_q
from revgraph.resolvers.reports.money import value_in
from revgraph.resolvers.reports.periods import (
    PERIODS,
    local_day,
    period_key,
    period_label,
    period_start,
    periods_of,
    zone,
)
from revgraph.resolvers.visibility import named_record

# The topics of what dealReport reads (schema/poll.py `report`): deals and
# their transitions (created/won/lost), the contacts' source, developments
# (`other`), teams and users (visibility, names), the workspace's currency
# and time zone.
READS = ("deals", "deal_stages", "contacts", "people")

OWNER, TEAM, SOURCE, DEVELOPMENT, STAGE = "OWNER", "TEAM", "SOURCE", "DEVELOPMENT", "STAGE"
CREATED, WON, LOST = "CREATED", "WON", "LOST"
EVENTS = (CREATED, WON, LOST)
COLUMNS = ("value", "currency", "owner_id", "development_id", "stage_id", "contact__source")


@dataclass(frozen=True)
class DealBucket:
    key: str
    label: str
    created: int
    won: int
    lost: int
    created_value: Decimal
    won_value: Decimal
    lost_value: Decimal


async def _happenings(deals: Q, closing: dict[int, str], window: Any) -> dict[str, dict[int, datetime]]:
    """Per event (CREATED, WON, LOST): the deals it happened to in the
    window, with when it first did."""
    rows = await (
        StageTransition.filter(
            Q(from_stage_id__isnull=True) | Q(to_stage_id__in=list(closing)),
            at__gte=window.start,
            at__lt=window.end,
            deal_id__in=Subquery(Deal.filter(deals).values("id")),
        )
        .order_by("at", "id")
        .values("deal_id", "from_stage_id", "to_stage_id", "at")
    )
    found: dict[str, dict[int, datetime]] = {event: {} for event in EVENTS}
    for row in rows:
        if row["from_stage_id"] is None:
            found[CREATED].setdefault(row["deal_id"], row["at"])
        if row["to_stage_id"] in closing:
            found[closing[row["to_stage_id"]]].setdefault(row["deal_id"], row["at"])
    return found


async def _keyer(dimension: str, rows: dict[int, dict[str, Any]]) -> tuple[Callable, dict[Any, str]]:
    """How to key a deal's row by a non-period dimension, and the labels."""
    if dimension == SOURCE:
        return (lambda r: r["contact__source"] or None), {}
    if dimension == TEAM:
        owners = {r["owner_id"] for r in rows.values()} - {None}
        team_of = (
            dict(await User.filter(id__in=sorted(owners)).values_list("id", "team_id")) if owners else {}
        )
        return (
            lambda r: team_of.get(r["owner_id"]) and encode_id("Team", team_of[r["owner_id"]]),
            {encode_id("Team", i): n for i, n in (await names_of(Team, team_of.values())).items()},
        )
    column, model = {
        OWNER: ("owner_id", User),
        DEVELOPMENT: ("development_id", Development),
        STAGE: ("stage_id", Stage),
    }[dimension]
    names = await names_of(model, (r[column] for r in rows.values()))
    return (
        lambda r: r[column] and encode_id(model.__name__, r[column]),
        {encode_id(model.__name__, i): n for i, n in names.items()},
    )


def _bucket(key: str, label: str, grouped: dict[str, list[dict[str, Any]]], currency: str) -> DealBucket:
    return DealBucket(
        key,
        label,
        len(grouped[CREATED]),
        len(grouped[WON]),
        len(grouped[LOST]),
        value_in(grouped[CREATED], currency),
        value_in(grouped[WON], currency),
        value_in(grouped[LOST], currency),
    )


async def deal_report(
    ctx: Context,
    dimension: str,
    start: datetime,
    end: datetime,
    *,
    pipeline_id: str | None = None,
    team_id: str | None = None,
    owner_id: str | None = None,
) -> list[DealBucket]:
    """dealReport: deals created, won and lost in [start, end) by
    `dimension` (see the module). An id naming nothing the caller sees is
    NOT_FOUND on its argument; a bad range INVALID."""
    actor = ctx.require_actor()
    window = check_range(start, end)
    deals = await reported_deals_q(ctx, team_id=team_id, owner_id=owner_id)
    stages = Stage.filter(workspace_id=actor.workspace_id, kind__in=(WON, LOST))
    if pipeline_id is not None:
        pipeline = await named_record(ctx, Pipeline, pipeline_id, ["pipelineId"], live=False)
        deals &= Q(pipeline_id=pipeline.id)
        stages = stages.filter(pipeline_id=pipeline.id)
    workspace = await Workspace.get(id=actor.workspace_id)
    happened = await _happenings(deals, dict(await stages.values_list("id", "kind")), window)
    rows = await deal_rows(set().union(*happened.values()), *COLUMNS)

    if dimension in PERIODS:
        tz = zone(workspace.timezone)
        by_period: dict[Any, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for event, deal_times in happened.items():
            for deal_id, at in deal_times.items():
                if deal_id in rows:  # not trashed since
                    by_period[period_start(dimension, local_day(at, tz))][event].append(rows[deal_id])
        return [
            _bucket(
                period_key(dimension, day), period_label(dimension, day), by_period[day], workspace.currency
            )
            for day in periods_of(dimension, window, tz)
        ]

    key_of, labels = await _keyer(dimension, rows)
    by_key: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for event, deal_times in happened.items():
        for deal_id in deal_times.keys() & rows.keys():
            by_key[key_of(rows[deal_id]) or NONE_KEY][event].append(rows[deal_id])
    buckets = [
        _bucket(key, labels.get(key, key) if key else NONE_LABEL, grouped, workspace.currency)
        for key, grouped in by_key.items()
    ]
    return sorted(buckets, key=lambda b: (-(b.created + b.won + b.lost), b.label, b.key))
