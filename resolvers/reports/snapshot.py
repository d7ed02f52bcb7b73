"""Propostas em negociação and the forecast (`pipelineSnapshot`): the open
deals of a pipeline now (no range), by stage and by expected close month.

The deals are those of resolvers/reports/deal_scope.py (live, visible to
the caller by their owner now, narrowed by teamId/ownerId) in the
pipeline, in an OPEN stage. Money in the workspace's currency
(resolvers/reports/money.py): other currencies are counted, not summed.
- stages: the pipeline's active OPEN stages in board order, with its
  archived OPEN stages that hold deals (at their last position): count,
  value, and weightedValue = value × the stage's probability / 100,
  rounded to cents.
- count, value, weightedValue: the sums of the stages' rows.
- forecast: by the deals' expected close month in the workspace's
  timezone (key "2026-12", label "dezembro de 2026"), in calendar order
  (past months included), then the deals without a date (key "" labelled
  "—"): count, and value = Σ value × probability / 100 of the stage each
  deal is in, rounded to cents once per bucket.

One grouped query (by stage, currency and expected close date) reads it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from revgraph.models.identity import Workspace
from revgraph.models.pipeline import Deal, Pipeline, Stage
from revgraph.resolvers.context import Context
from revgraph.resolvers.reports.buckets import Bucket, none_bucket
from revgraph.resolvers.reports.deal_scope import reported_deals_q
from revgraph.resolvers.reports.money import ZERO, cents, money, weighted
from revgraph.resolvers.reports.periods import MONTH, local_day, period_key, period_label, period_start, zone
from revgraph.resolvers.visibility import named_record

# The topics of what pipelineSnapshot reads (schema/poll.py `report`): the
# deals now (stage, value, probability, expected close), stages, the team
# tree and users (visibility), the workspace's currency and time zone.
READS = ("deals", "deal_stages", "people")


@dataclass(frozen=True)
class SnapshotStage:
    stage: Stage
    count: int
    value: Decimal
    weighted_value: Decimal


@dataclass(frozen=True)
class PipelineSnapshot:
    pipeline: Pipeline
    stages: list[SnapshotStage]
    count: int
    value: Decimal
    weighted_value: Decimal
    forecast: list[Bucket]


async def pipeline_snapshot(
    ctx: Context, pipeline_id: str, *, team_id: str | None = None, owner_id: str | None = None
) -> PipelineSnapshot:
    """pipelineSnapshot: the visible open deals of a pipeline by stage and
    by expected close month (see the module). An id naming nothing the
    caller sees is NOT_FOUND on its argument."""
    actor = ctx.require_actor()
    pipeline = await named_record(ctx, Pipeline, pipeline_id, ["pipelineId"], live=False)
    workspace = await Workspace.get(id=actor.workspace_id)
    tz = zone(workspace.timezone)
    stages = {
        s.id: s for s in await Stage.filter(pipeline_id=pipeline.id, kind="OPEN").order_by("position", "id")
    }
    deals = await reported_deals_q(ctx, team_id=team_id, owner_id=owner_id)
    rows = (
        await Deal.filter(deals & Q(pipeline_id=pipeline.id, stage_id__in=list(stages)))
        .annotate(n=Count("id"), total=Sum("value"))
        .group_by("stage_id", "currency", "expected_close_date")
        .values("stage_id", "currency", "expected_close_date", "n", "total")
    )
    counts: dict[int, int] = defaultdict(int)
    values: dict[int, Decimal] = defaultdict(lambda: ZERO)
    months: dict[date | None, list] = defaultdict(lambda: [0, ZERO])
    for row in rows:
        value = money(row["total"]) if row["currency"] == workspace.currency else ZERO
        counts[row["stage_id"]] += row["n"]
        values[row["stage_id"]] += value
        closes = row["expected_close_date"]
        month = period_start(MONTH, local_day(closes, tz)) if closes is not None else None
        months[month][0] += row["n"]
        months[month][1] += weighted(value, stages[row["stage_id"]].probability)

    shown = [
        SnapshotStage(s, counts[s.id], values[s.id], cents(weighted(values[s.id], s.probability)))
        for s in stages.values()
        if s.archived_at is None or counts[s.id]
    ]
    forecast = [
        Bucket(period_key(MONTH, m), period_label(MONTH, m), months[m][0], cents(months[m][1]))
        for m in sorted(m for m in months if m is not None)
    ]
    if None in months:
        forecast.append(none_bucket(months[None][0], cents(months[None][1])))
    return PipelineSnapshot(
        pipeline=pipeline,
        stages=shown,
        count=sum(s.count for s in shown),
        value=sum((s.value for s in shown), ZERO),
        weighted_value=sum((s.weighted_value for s in shown), ZERO),
        forecast=forecast,
    )
